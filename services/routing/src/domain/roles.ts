import type { EventData } from '@baton/contracts';
import type { MemberRole } from './types.js';

/** A role as the v1 event contract spells it. */
export type ContractRole = EventData<'lead.assigned'>['owner']['role'];

// The v1 contract knows four roles (setter, rep, ae, manager); routing configures five. Events carry the nearest
// contract role, and the member id always travels with it, so consumers can look the exact role up. An
// additive contract change (new enum values) would let ops_lead travel as itself.
const TO_CONTRACT: Record<MemberRole, ContractRole> = {
  setter: 'setter',
  rep: 'rep',
  account_executive: 'ae',
  manager: 'manager',
  ops_lead: 'manager',
};

/** The contract role of a routing role. */
export function contractRole(role: MemberRole): ContractRole {
  return TO_CONTRACT[role];
}
