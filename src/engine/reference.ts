import { ScratchifyError } from '../errors.js';

// An image reference as the engines parse one (distribution/reference): an optional registry host[:port],
// lowercase path components joined by one '.', '_', '__' or dashes, then an optional :tag and @digest.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const REFERENCE = new RegExp(
  `^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*(?::\\w[\\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$`,
);
/** An image ID, whole or abbreviated, is accepted by both engines too. */
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{12,64}$/;

/** Refuses a value no engine could take as an image before anything asks the engine. */
export function checkImageReference(flag: string, ref: string): string {
  if (!(ref.length <= 4096 && (REFERENCE.test(ref) || IMAGE_ID.test(ref)))) {
    throw new ScratchifyError('USAGE', `${flag} ${JSON.stringify(ref)}: not an image reference`, {
      hint: 'name an image as the engine does: [registry/]repository[:tag][@sha256:digest], lowercase, or an image ID',
    });
  }
  return ref;
}
