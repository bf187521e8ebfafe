// Authentication and authorization as Elasticsearch's security answers them, for the users, roles and API keys a
// test sets up (options, the `security` handle, or the REST APIs _security/user, _security/role,
// _security/api_key):
// - 401 security_exception with the WWW-Authenticate challenges of DefaultAuthenticationFailureHandler:
//   "missing authentication credentials for REST request [/uri]", "unable to authenticate user [u] for REST
//   request [/uri]", and for API keys "unable to authenticate with provided credentials and anonymous access is not
//   allowed for this request" with `additional_unsuccessful_credentials` ("API key: unable to find apikey with id
//   X"); x-pack/plugin/security/.../authc/AuthenticationService.java, ApiKeyService.java.
// - 403 security_exception "action [A] is unauthorized for API key id [K] of user [U] on indices [I], this action
//   is granted by the index privileges [...]" (AuthorizationDenialMessages.Default#actionDenied).
// - Roles grant named privileges (privileges.ts) on index name patterns; an API key's privileges are its role
//   descriptors limited by its owner's roles (none given: the owner's); a user's privileges are the union of its
//   roles. A privilege on a data stream's name covers its backing indices.
// - _has_privileges answers from those grants (a requested privilege is held when the grants cover all its
//   actions on every index the requested name can match).
// Anonymous access (xpack.security.authc.anonymous.roles) is how the test server runs without credentials: the
// anonymous user `_anonymous` has the role `superuser` unless the options say otherwise.

import { randomBytes } from 'node:crypto';
import { EsError, illegalArgument } from './errors.js';
import { globCovers, globMatch } from './glob.js';
import {
  CLUSTER_PRIVILEGES,
  INDEX_PRIVILEGES,
  covers,
  isClusterAction,
  privilegeGrants,
  privilegesGranting,
  resolvePrivilege,
  unknownPrivilegeMessage,
} from './privileges.js';
import type { NamedPrivilege } from './privileges.js';

export interface IndicesPrivileges {
  names: string[] | string;
  privileges: string[];
  allow_restricted_indices?: boolean;
}

export interface RoleDescriptor {
  cluster?: string[];
  indices?: IndicesPrivileges[];
  applications?: unknown[];
  run_as?: string[];
  metadata?: Record<string, unknown>;
}

export interface ApiKeyRecord {
  id: string;
  key: string;
  name: string;
  owner: string;
  /** Role descriptors of the key; empty: the owner's privileges. */
  roleDescriptors: Record<string, RoleDescriptor>;
  /** The owner's roles when the key was created (ApiKeyService stores them as limited_by). */
  limitedBy: RoleDescriptor[];
  invalidated: boolean;
  expiration?: number;
}

export interface Principal {
  username: string;
  /** Role names (users) for messages. */
  roles: string[];
  apiKey?: { id: string; name: string };
  anonymous: boolean;
  realm: string;
}

export interface SecurityOptions {
  /** Roles of anonymous requests; `false` requires credentials. Default ['superuser']. */
  anonymous?: string[] | false;
  users?: Record<string, { password: string; roles: string[] }>;
  roles?: Record<string, RoleDescriptor>;
}

export const SUPERUSER: RoleDescriptor = {
  cluster: ['all'],
  indices: [{ names: ['*'], privileges: ['all'], allow_restricted_indices: true }],
};

const CHALLENGE = {
  'WWW-Authenticate': ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', 'ApiKey'],
};

function names(ip: IndicesPrivileges): string[] {
  return Array.isArray(ip.names) ? ip.names : [ip.names];
}

function nameMatches(pattern: string, index: string): boolean {
  if (pattern.startsWith('/') && pattern.endsWith('/') && pattern.length > 1)
    return new RegExp(`^(?:${pattern.slice(1, -1)})$`).test(index);
  return globMatch(pattern, index);
}

export class Security {
  readonly users = new Map<string, { password: string; roles: string[] }>();
  readonly roles = new Map<string, RoleDescriptor>();
  readonly apiKeys = new Map<string, ApiKeyRecord>();
  anonymousRoles: string[] | false;

  constructor(opts: SecurityOptions = {}) {
    this.roles.set('superuser', SUPERUSER);
    this.anonymousRoles = opts.anonymous ?? ['superuser'];
    for (const [n, r] of Object.entries(opts.roles ?? {})) this.putRole(n, r);
    for (const [n, u] of Object.entries(opts.users ?? {})) this.putUser(n, u.password, u.roles);
  }

  /** PUT _security/role/<name>: validates privilege names as RoleDescriptor parsing does. */
  putRole(name: string, d: RoleDescriptor): void {
    for (const p of d.cluster ?? [])
      if (!resolvePrivilege('cluster', p)) throw illegalArgument(unknownPrivilegeMessage('cluster', p));
    for (const ip of d.indices ?? []) {
      if (names(ip).length === 0)
        throw new EsError(
          400,
          'action_request_validation_exception',
          'Validation Failed: 1: indices privileges must refer to at least one index name or index name pattern;',
        );
      for (const p of ip.privileges)
        if (!resolvePrivilege('index', p)) throw illegalArgument(unknownPrivilegeMessage('index', p));
    }
    this.roles.set(name, structuredClone(d));
  }

  putUser(name: string, password: string, roles: string[]): void {
    this.users.set(name, { password, roles: [...roles] });
  }

  /** POST _security/api_key on behalf of `owner` (a principal). Returns the REST answer. */
  createApiKey(
    owner: Principal,
    body: { name?: string; role_descriptors?: Record<string, RoleDescriptor>; expiration?: string },
  ): { id: string; name: string; api_key: string; encoded: string; expiration?: number } {
    if (typeof body.name !== 'string' || body.name.length === 0)
      throw new EsError(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: api key name is required;',
      );
    for (const d of Object.values(body.role_descriptors ?? {})) {
      for (const p of d.cluster ?? [])
        if (!resolvePrivilege('cluster', p)) throw illegalArgument(unknownPrivilegeMessage('cluster', p));
      for (const ip of d.indices ?? [])
        for (const p of ip.privileges)
          if (!resolvePrivilege('index', p)) throw illegalArgument(unknownPrivilegeMessage('index', p));
    }
    const id = randomBytes(15).toString('base64url').slice(0, 20);
    const key = randomBytes(16).toString('base64url').slice(0, 22);
    let expiration: number | undefined;
    if (typeof body.expiration === 'string') {
      const m = /^(\d+)(ms|s|m|h|d)$/.exec(body.expiration);
      if (!m)
        throw illegalArgument(
          `failed to parse setting [expiration] with value [${body.expiration}] as a time value: unit is missing or unrecognized`,
        );
      const unit = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[
        m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
      ];
      expiration = Date.now() + Number(m[1]) * unit;
    }
    this.apiKeys.set(id, {
      id,
      key,
      name: body.name,
      owner: owner.username,
      roleDescriptors: structuredClone(body.role_descriptors ?? {}),
      limitedBy: this.descriptorsOf(owner),
      invalidated: false,
      ...(expiration !== undefined ? { expiration } : {}),
    });
    return {
      id,
      name: body.name,
      api_key: key,
      encoded: Buffer.from(`${id}:${key}`).toString('base64'),
      ...(expiration !== undefined ? { expiration } : {}),
    };
  }

  /** Register a known encoded key (the `auth.apiKey` option) owned by `owner` with the owner's privileges. */
  registerEncodedKey(encoded: string, owner: string): void {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const id = colon > 0 ? decoded.slice(0, colon) : encoded;
    const key = colon > 0 ? decoded.slice(colon + 1) : '';
    this.apiKeys.set(id, {
      id,
      key,
      name: 'test-key',
      owner,
      roleDescriptors: {},
      limitedBy: (this.users.get(owner)?.roles ?? []).map((r) => this.roles.get(r) ?? {}),
      invalidated: false,
    });
  }

  /** The role descriptors that give a principal its privileges (an API key: see limited()). */
  private descriptorsOf(p: Principal): RoleDescriptor[] {
    if (p.apiKey) {
      const k = this.apiKeys.get(p.apiKey.id)!;
      return Object.keys(k.roleDescriptors).length > 0 ? Object.values(k.roleDescriptors) : k.limitedBy;
    }
    return p.roles.map((r) => this.roles.get(r)).filter((r): r is RoleDescriptor => r !== undefined);
  }

  private layers(p: Principal): RoleDescriptor[][] {
    if (p.apiKey) {
      const k = this.apiKeys.get(p.apiKey.id)!;
      return Object.keys(k.roleDescriptors).length > 0
        ? [Object.values(k.roleDescriptors), k.limitedBy]
        : [k.limitedBy];
    }
    return [this.descriptorsOf(p)];
  }

  /** Authenticate a REST request. Throws 401 as Elasticsearch answers it. */
  authenticate(authorization: string | undefined, uri: string): Principal {
    if (authorization === undefined || authorization === '') {
      if (this.anonymousRoles !== false)
        return { username: '_anonymous', roles: this.anonymousRoles, anonymous: true, realm: '__anonymous' };
      throw new EsError(
        401,
        'security_exception',
        `missing authentication credentials for REST request [${uri}]`,
        {},
        undefined,
        CHALLENGE,
      );
    }
    const [scheme = '', value = ''] = authorization.split(/\s+/, 2);
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
      const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
      const u = this.users.get(user);
      if (!u || u.password !== pass)
        throw new EsError(
          401,
          'security_exception',
          `unable to authenticate user [${user}] for REST request [${uri}]`,
          {},
          undefined,
          CHALLENGE,
        );
      return { username: user, roles: u.roles, anonymous: false, realm: 'default_native' };
    }
    if (scheme.toLowerCase() === 'apikey') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const id = colon > 0 ? decoded.slice(0, colon) : value;
      const secret = colon > 0 ? decoded.slice(colon + 1) : '';
      const k = this.apiKeys.get(id);
      const refuse = (why: string): never => {
        throw new EsError(
          401,
          'security_exception',
          'unable to authenticate with provided credentials and anonymous access is not allowed for this request',
          { additional_unsuccessful_credentials: `API key: ${why}` },
          undefined,
          CHALLENGE,
        );
      };
      if (!k) refuse(`unable to find apikey with id ${id}`);
      if (k!.invalidated) refuse(`api key [${id}] has been invalidated`);
      if (k!.expiration !== undefined && k!.expiration < Date.now()) refuse('api key is expired');
      if (k!.key !== secret) refuse(`invalid credentials for API key [${id}]`);
      return {
        username: k!.owner,
        roles: [],
        apiKey: { id: k!.id, name: k!.name },
        anonymous: false,
        realm: '_es_api_key',
      };
    }
    throw new EsError(
      401,
      'security_exception',
      `missing authentication credentials for REST request [${uri}]`,
      {},
      undefined,
      CHALLENGE,
    );
  }

  /** Whether one layer of role descriptors grants a cluster action. */
  private clusterLayer(layer: RoleDescriptor[], action: string): boolean {
    return layer.some((d) =>
      (d.cluster ?? []).some((p) => {
        const priv = resolvePrivilege('cluster', p);
        return priv !== undefined && privilegeGrants(priv, action);
      }),
    );
  }

  private indexLayer(layer: RoleDescriptor[], action: string, index: string, dataStream?: string): boolean {
    return layer.some((d) =>
      (d.indices ?? []).some(
        (ip) =>
          names(ip).some(
            (n) => nameMatches(n, index) || (dataStream !== undefined && nameMatches(n, dataStream)),
          ) &&
          ip.privileges.some((p) => {
            const priv = resolvePrivilege('index', p);
            return priv !== undefined && privilegeGrants(priv, action);
          }),
      ),
    );
  }

  /** Whether every layer of the principal's privileges holds `all` on everything (the superuser role). */
  private isSuperuser(p: Principal): boolean {
    return this.layers(p).every((l) =>
      l.some(
        (d) =>
          (d.cluster ?? []).includes('all') &&
          (d.indices ?? []).some((ip) => names(ip).includes('*') && ip.privileges.includes('all')),
      ),
    );
  }

  clusterAllowed(p: Principal, action: string): boolean {
    return this.isSuperuser(p) || this.layers(p).every((l) => this.clusterLayer(l, action));
  }

  indexAllowed(p: Principal, action: string, index: string, dataStream?: string): boolean {
    return this.isSuperuser(p) || this.layers(p).every((l) => this.indexLayer(l, action, index, dataStream));
  }

  /** Whether any index privilege grants `action` anywhere (RBACEngine for composite requests such as _bulk). */
  anyIndexAllowed(p: Principal, action: string): boolean {
    return this.layers(p).every((l) =>
      l.some((d) =>
        (d.indices ?? []).some((ip) =>
          ip.privileges.some((x) => {
            const priv = resolvePrivilege('index', x);
            return priv !== undefined && privilegeGrants(priv, action);
          }),
        ),
      ),
    );
  }

  /** 403 as AuthorizationDenialMessages words it. */
  denied(p: Principal, action: string, indices?: string[]): EsError {
    const user = p.apiKey ? `API key id [${p.apiKey.id}] of user [${p.username}]` : `user [${p.username}]`;
    const roles = p.apiKey
      ? ''
      : ` with effective roles [${[...p.roles]
          .filter((r) => this.roles.has(r))
          .sort()
          .join(',')}]`;
    let msg = `action [${action}] is unauthorized for ${user}${roles}`;
    if (indices && indices.length > 0) msg += ` on indices [${indices.join(',')}]`;
    const kind = isClusterAction(action) ? 'cluster' : 'index';
    const by = privilegesGranting(kind, action);
    if (by.length > 0) msg += `, this action is granted by the ${kind} privileges [${by.join(',')}]`;
    return new EsError(403, 'security_exception', msg);
  }

  requireCluster(p: Principal, action: string): void {
    if (!this.clusterAllowed(p, action)) throw this.denied(p, action);
  }

  requireIndex(p: Principal, action: string, index: string, dataStream?: string): void {
    if (!this.indexAllowed(p, action, index, dataStream)) throw this.denied(p, action, [index]);
  }

  /** GET|POST _security/user/_has_privileges. */
  hasPrivileges(p: Principal, body: Record<string, unknown>): Record<string, unknown> {
    const cluster: Record<string, boolean> = {};
    for (const name of (body.cluster as string[] | undefined) ?? []) {
      const req = resolvePrivilege('cluster', name);
      if (!req) throw illegalArgument(unknownPrivilegeMessage('cluster', name));
      cluster[name] = this.layers(p).every((layer) => {
        const granted = layer.flatMap((d) =>
          (d.cluster ?? [])
            .map((x) => resolvePrivilege('cluster', x))
            .filter((x): x is NamedPrivilege => !!x),
        );
        return covers(granted, req);
      });
    }
    const index: Record<string, Record<string, boolean>> = {};
    for (const entry of (body.index as IndicesPrivileges[] | undefined) ?? []) {
      for (const n of names(entry)) {
        index[n] ??= {};
        for (const name of entry.privileges) {
          const req = resolvePrivilege('index', name);
          if (!req) throw illegalArgument(unknownPrivilegeMessage('index', name));
          index[n][name] = this.layers(p).every((layer) => {
            const granted = layer.flatMap((d) =>
              (d.indices ?? [])
                .filter((ip) =>
                  names(ip).some((gn) => (gn.startsWith('/') ? nameMatches(gn, n) : globCovers(gn, n))),
                )
                .flatMap((ip) =>
                  ip.privileges
                    .map((x) => resolvePrivilege('index', x))
                    .filter((x): x is NamedPrivilege => !!x),
                ),
            );
            return covers(granted, req);
          });
        }
      }
    }
    const all =
      Object.values(cluster).every(Boolean) &&
      Object.values(index).every((m) => Object.values(m).every(Boolean));
    return { username: p.username, has_all_requested: all, cluster, index, application: {} };
  }

  /** GET _security/_authenticate. */
  authenticateResponse(p: Principal): Record<string, unknown> {
    return {
      username: p.username,
      roles: p.apiKey ? [] : p.roles,
      full_name: null,
      email: null,
      metadata: {},
      enabled: true,
      authentication_realm: {
        name: p.realm,
        type: p.apiKey ? '_es_api_key' : p.anonymous ? '__anonymous' : 'native',
      },
      lookup_realm: {
        name: p.realm,
        type: p.apiKey ? '_es_api_key' : p.anonymous ? '__anonymous' : 'native',
      },
      authentication_type: p.apiKey ? 'api_key' : p.anonymous ? 'anonymous' : 'realm',
      ...(p.apiKey ? { api_key: { id: p.apiKey.id, name: p.apiKey.name } } : {}),
    };
  }

  /**
   * The legacy `deniedPrivileges` option as a role: every named privilege except the denied ones and those that
   * include them (so `_has_privileges` reports the denied ones, and the actions they grant are refused).
   */
  static roleWithout(denied: string[]): RoleDescriptor {
    const deniedIndex = denied.map((d) => INDEX_PRIVILEGES[d]).filter((x): x is NamedPrivilege => !!x);
    const deniedCluster = denied.map((d) => CLUSTER_PRIVILEGES[d]).filter((x): x is NamedPrivilege => !!x);
    const keep = (table: Readonly<Record<string, NamedPrivilege>>, den: NamedPrivilege[]): string[] =>
      Object.entries(table)
        .filter(([n, p]) => !denied.includes(n) && !den.some((d) => covers([p], d)))
        .map(([n]) => n);
    return {
      cluster: keep(CLUSTER_PRIVILEGES, deniedCluster),
      indices: [
        { names: ['*'], privileges: keep(INDEX_PRIVILEGES, deniedIndex), allow_restricted_indices: true },
      ],
    };
  }
}
