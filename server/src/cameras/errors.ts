import createError from '@fastify/error';

export const CameraErrors = {
  NoCamera: createError<[string]>('NO_CAMERA', 'no camera covers device %s', 404),
  Unavailable: createError<[string]>('CAMERA_UNAVAILABLE', 'the covering camera gave no picture: %s', 502),
};
