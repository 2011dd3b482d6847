import { Flags } from '@oclif/core';

/**
 * The flags that start the program as a service and exercise it, shared by verify (which compares the base's
 * service with the scratch image's) and generate --trace-service (which traces the base's).
 */
export const serviceFlags = {
  probe: Flags.string({
    description:
      "a request to the running service: [METHOD] http://127.0.0.1:PORT/PATH [-H 'Name: value'] [-d DATA], or tcp://127.0.0.1:PORT [-d DATA] [--expect TEXT]; repeatable, in order",
    multiple: true,
  }),
  'probe-cmd': Flags.string({
    description: "a client of the base image run in the service's network, e.g. 'redis-cli ping'; repeatable, in order with --probe",
    multiple: true,
  }),
  restart: Flags.boolean({
    description: 'at this point among the probes: stop the service with its stop signal and start it again on the same volumes',
  }),
  volume: Flags.string({
    description: "SOURCE:/path[:ro] for the service: a volume or a directory of this machine's; each run gets a copy; repeatable",
    multiple: true,
  }),
  'stop-timeout': Flags.string({ description: 'seconds the service has to exit after its stop signal', default: '10' }),
};
