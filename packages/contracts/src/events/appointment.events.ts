import { z } from 'zod';
import {
  emailSchema,
  longTextSchema,
  personNameSchema,
  shortTextSchema,
  timeZoneSchema,
  utcInstantSchema,
  uuidSchema,
} from '../primitives.js';

// v1: additive changes only; a breaking change becomes a new event type. Produced by the scheduling service.

const endsAfterStart = {
  check: (slot: { startAt: string; endAt: string }) => Date.parse(slot.endAt) > Date.parse(slot.startAt),
  params: { message: 'endAt must be after startAt', path: ['endAt'] },
};

export const meetingTypeSchema = z.enum(['discovery', 'demo', 'estimate_visit', 'consultation', 'follow_up', 'other']);

export const attendeeSchema = z.object({
  name: personNameSchema.optional(),
  email: emailSchema.optional(),
  role: z.enum(['buyer', 'setter', 'rep', 'ae', 'manager', 'other']),
  memberId: uuidSchema.optional(),
});

const changedBySchema = z.enum(['buyer', 'member', 'system']);

export const appointmentBookedData = z
  .object({
    appointmentId: uuidSchema,
    startAt: utcInstantSchema,
    endAt: utcInstantSchema,
    // Times travel in UTC; the buyer's zone is kept so reminders and briefs can speak their local time.
    attendeeTimeZone: timeZoneSchema,
    meetingType: meetingTypeSchema,
    agenda: longTextSchema.optional(),
    location: z
      .object({ kind: z.enum(['video', 'phone', 'in_person']), detail: shortTextSchema.optional() })
      .optional(),
    attendees: z.array(attendeeSchema).min(1).max(50),
    bookedBy: z
      .object({ type: changedBySchema, memberId: uuidSchema.optional() })
      .refine((by) => by.type !== 'member' || by.memberId !== undefined, {
        message: 'a member booking needs memberId',
        path: ['memberId'],
      }),
    setterId: uuidSchema.optional(),
    ownerId: uuidSchema.optional(),
  })
  .refine(endsAfterStart.check, endsAfterStart.params);

export const appointmentConfirmedData = z.object({
  appointmentId: uuidSchema,
  confirmedAt: utcInstantSchema,
  via: z.enum(['link', 'email', 'sms', 'phone', 'calendar', 'manual']),
});

export const appointmentRescheduledData = z
  .object({
    appointmentId: uuidSchema,
    previousStartAt: utcInstantSchema,
    startAt: utcInstantSchema,
    endAt: utcInstantSchema,
    attendeeTimeZone: timeZoneSchema,
    reason: longTextSchema.optional(),
    rescheduledBy: changedBySchema,
  })
  .refine(endsAfterStart.check, endsAfterStart.params);

export const appointmentCancelledData = z.object({
  appointmentId: uuidSchema,
  cancelledAt: utcInstantSchema,
  reason: longTextSchema.optional(),
  cancelledBy: changedBySchema,
});

export const appointmentHeldData = z.object({
  appointmentId: uuidSchema,
  heldAt: utcInstantSchema,
  durationMinutes: z.number().min(0).optional(),
  outcomeNotes: longTextSchema.optional(),
});

export const appointmentNoShowData = z.object({
  appointmentId: uuidSchema,
  recordedAt: utcInstantSchema,
  noShowParty: z.enum(['buyer', 'member']),
});

/** Data schemas of appointment events, by event type. */
export const appointmentEventDataSchemas = {
  'appointment.booked': appointmentBookedData,
  'appointment.confirmed': appointmentConfirmedData,
  'appointment.rescheduled': appointmentRescheduledData,
  'appointment.cancelled': appointmentCancelledData,
  'appointment.held': appointmentHeldData,
  'appointment.no_show': appointmentNoShowData,
} as const;
