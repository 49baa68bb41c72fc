// The vendored driver is postgres (porsager) 3.4.9 with the hub's patches (driver/README.md): its types are the package's.
export { default } from 'postgres';
export * from 'postgres';
