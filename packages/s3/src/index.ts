/**
 * `@eddy/s3`: object storage for Eddy warehouses. `Catalog.open('s3://bucket/prefix')` loads this
 * package on first use; import it directly to configure a client (`new S3FileIO({...})` passed as
 * `fileIO`) or to read its request counts.
 */
export {
  endpointNeedsPathStyle,
  parseS3Path,
  type S3Credentials,
  S3FileIO,
  type S3FileIOOptions,
  type S3IOStats,
  type S3RequestCounts,
  type S3RequestKind,
} from './s3-file-io.ts';
