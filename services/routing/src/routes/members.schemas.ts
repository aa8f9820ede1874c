import { timeZoneSchema } from '@baton/contracts';
import { z } from 'zod';
import { MEMBER_ROLES, WEEKDAYS } from '../domain/types.js';
import { isValidSpan } from '../domain/working-hours.js';
import type { StoredMember } from '../db/member.repository.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "must be 'HH:mm' (24:00 allowed as an end)");
const spanSchema = z
  .strictObject({ start: hhmm, end: hhmm })
  .refine(isValidSpan, { message: 'start must be before end', path: ['end'] });

/** Working time per weekday in the member's zone; an absent day is a day off. */
export const weeklyHoursSchema = z
  .strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, z.array(spanSchema).max(8).optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<z.ZodArray<typeof spanSchema>>>)
  .meta({ description: "Wall-clock spans in the member's time zone, e.g. { mon: [{ start: '09:00', end: '17:00' }] }; overnight shifts are two spans" });

const absenceSchema = z
  .strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .refine((a) => Date.parse(a.to) > Date.parse(a.from), { message: 'to must be after from', path: ['to'] });

const capsSchema = z.strictObject({
  maxOpen: z.int().min(0).max(100_000).nullable().optional().meta({ description: 'Assigned and not yet claimed leads at once; null: no cap' }),
  maxPerDay: z.int().min(0).max(100_000).nullable().optional().meta({ description: "Leads per day, counted in the member's time zone; null: no cap" }),
});

const memberFields = {
  name: z.string().trim().min(1).max(200),
  role: z.enum(MEMBER_ROLES),
  timeZone: timeZoneSchema,
  workingHours: weeklyHoursSchema.nullable().optional().meta({ description: 'null or absent: always available (e.g. a 24/7 desk)' }),
  outOfOffice: z.array(absenceSchema).max(100).optional().meta({ description: 'Absences [from, to); the member gets no leads during them' }),
  weight: z.int().min(0).max(1000).optional().meta({ description: 'Share of the rotation (default 1); 0 keeps the member for escalations only' }),
  caps: capsSchema.optional(),
  active: z.boolean().optional().meta({ description: 'Default true; inactive members get no leads' }),
};

/** POST /v1/members body. */
export const memberCreateSchema = z.strictObject(memberFields);
/** PATCH /v1/members/{id} body: any subset of the fields. */
export const memberPatchSchema = z.strictObject(memberFields).partial();

/** A member as the API shows it. */
export const memberViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(MEMBER_ROLES),
  timeZone: z.string(),
  workingHours: weeklyHoursSchema.nullable(),
  outOfOffice: z.array(z.object({ from: z.string(), to: z.string() })),
  weight: z.int(),
  caps: z.object({ maxOpen: z.int().nullable(), maxPerDay: z.int().nullable() }),
  active: z.boolean(),
  load: z.object({ openUnclaimed: z.int(), assignedOn: z.string().nullable(), assignedThatDay: z.int() }).meta({ description: 'Counters the caps are checked against' }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The API view of a stored member. */
export function memberView(m: StoredMember): z.infer<typeof memberViewSchema> {
  return {
    id: m.id,
    name: m.name,
    role: m.role,
    timeZone: m.timeZone,
    workingHours: m.workingHours,
    outOfOffice: m.outOfOffice,
    weight: m.weight,
    caps: { maxOpen: m.maxOpen, maxPerDay: m.maxPerDay },
    active: m.active,
    load: { openUnclaimed: m.openCount, assignedOn: m.dayOf, assignedThatDay: m.dayCount },
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}
