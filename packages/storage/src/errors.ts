import { defineError } from '@ddinit/contracts';

export const objectNotFound = defineError('object_not_found', (uri: string) => `no such file: ${uri}`);
export const pathOutsideRoot = defineError(
  'path_outside_root',
  (key: string, root: string) => `path ${JSON.stringify(key)} is outside the allowed root ${root}`,
);
