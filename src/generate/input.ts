import type { UsedPath } from '../additions.js';
import type { ResolveOptions } from '../resolve/types.js';
import type { Root } from '../rootfs/root.js';
import type { RuntimeOptions } from '../runtime/needs.js';
import type { BaseConfig } from './base-config.js';

export interface GenerateInput {
  root: Root;
  program: string;
  args: string[];
  includes: string[];
  user?: string;
  expose: string[];
  /** `ARG BASE=` value: a digest-pinned reference where the image has one. */
  baseRef?: string;
  baseComment?: string;
  /** What the base image's configuration says about running it (ENV, WORKDIR, CMD, ...); kept in the image. */
  baseConfig?: BaseConfig;
  /** The OCI base-image labels: the base as named, and its registry digest when it has one. */
  baseName?: string;
  baseDigest?: string;
  /** The stage name to copy from instead of an ARG-selected base (--dockerfile --target). */
  fromStage?: string;
  source: string;
  command: string;
  dockerfileName: string;
  scaffoldName: string;
  resolve?: ResolveOptions;
  runtime?: RuntimeOptions;
  /** What traced runs used (--trace): each path, how the run used it, and the trace that saw it. */
  traced?: UsedPath[];
  /** --exclude globs: paths left out of the image (refused where the loader or nginx needs them). */
  excludes?: string[];
  /** Copy what the program and its libraries name in their read-only data (on unless false). */
  references?: boolean;
  /** dpkg metadata for scanners (on unless enabled is false), with copyright files unless copyright is false. */
  packages?: { enabled?: boolean; copyright?: boolean };
  /**
   * 'copy' (default): COPY lines from the base plus a small scaffold archive. 'archive': the archive holds the
   * whole minimal root and the Dockerfile only ADDs it (no base image needed to build).
   */
  carrier?: 'copy' | 'archive';
  /** The engine whose build command the Dockerfile's header names. */
  engine?: 'docker' | 'podman';
  /** The base image's platform (linux/arm64), from its configuration; the program's must run on it. */
  platform?: string;
  /** The command that explains why a program does not load in this source, as the user named it (doctor). */
  explain?: (program: string) => string;
}
