export { fakeJpeg, SimAccessController, type AccessEvent } from './controller.ts';
