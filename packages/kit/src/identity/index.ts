export { SCOPES, hasScope, isScope, type ApiKeyInfo, type Identity, type Principal, type Scope, type Tenant, type TenantSettings } from './types.js';
export { createIdentity, type IdentityOptions } from './identity.js';
export { identityMigrations } from './identity.migration.js';
