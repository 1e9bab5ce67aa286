export const PERMISSIONS = ['oem:read', 'oem:write', 'apps:read', 'apps:write', 'keysets:read', 'keysets:write'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
