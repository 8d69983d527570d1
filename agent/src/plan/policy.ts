import * as z from 'zod';

/**
 * What an admin decides about demobilization. Defaults are the safe choice; every field is documented
 * because the same schema is offered to admins in the configuration profile.
 */
export const demobilizePolicySchema = z
  .object({
    loggedInUser: z
      .enum(['skip', 'allow'])
      .default('skip')
      .describe('A logged-in user: "skip" leaves the account for later (default); "allow" converts it while the session runs.'),
    primaryGroup: z
      .enum(['staff', 'keep-with-alias'])
      .default('staff')
      .describe('An AD primary group with no local group: "staff" sets PrimaryGroupID 20 (default); "keep-with-alias" keeps the GID and creates a local alias group for it.'),
    admin: z
      .enum(['preserve', 'grant', 'revoke'])
      .default('preserve')
      .describe('Admin rights: "preserve" keeps whoever is admin now, including through AD groups (default); "grant" makes every converted user admin; "revoke" makes them standard.'),
    altSecurityIdentities: z
      .enum(['keep', 'remove'])
      .default('keep')
      .describe('Smart-card pairing (AltSecurityIdentities): "keep" (default) or "remove".'),
    userProfiles: z
      .enum(['warn', 'block'])
      .default('warn')
      .describe('Accounts with user-level configuration profiles lose their MDM user channel when converted: "warn" (default) or "block".'),
    excludeUsers: z.array(z.string().min(1)).default([]).describe('Short names never to convert.'),
  })
  .strict();

export type DemobilizePolicy = z.infer<typeof demobilizePolicySchema>;

/** The policy with every default, for the CLI when no configuration says otherwise. */
export const DEFAULT_DEMOBILIZE_POLICY: DemobilizePolicy = demobilizePolicySchema.parse({});
