// The ES module entry of the `sipcreds` package (`import { Registry } from 'sipcreds'`): the
// same objects as the CommonJS entry (sipcreds.js), re-exported by name. test/esm.test.js
// holds this list equal to sipcreds.js's exports.
import cjs from './sipcreds.js'

export const {
  Registry,
  SipcredsError,
  ValidationError,
  NotFoundError,
  ReadOnlyError,
  InUseError,
  ConflictError,
  StorageError,
  AccessError,
  TooManyRequestsError,
  InternalError,
  validateCredential,
  safeValidateCredential,
  lintCredential,
  diagnose,
  symptoms,
  listAllErrors,
  schema,
  version,
  MAX_BODY_BYTES,
} = cjs
export default cjs
