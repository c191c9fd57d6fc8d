// reflect-metadata is imported for its side effect (a polyfill @peculiar/x509 needs); it has types, this keeps lib settings lean.
declare module 'reflect-metadata';
