import { z } from 'zod';
import { machineCodeSchema, shortTextSchema, utcInstantSchema, uuidSchema } from '../primitives.js';

// v1: additive changes only; a breaking change becomes a new event type. Produced by the reminder service.

export const reminderChannelSchema = z.enum(['email', 'sms', 'push', 'webhook']);

const reminderRef = {
  appointmentId: uuidSchema,
  reminderId: uuidSchema,
  channel: reminderChannelSchema,
};

export const reminderScheduledData = z.object({
  ...reminderRef,
  sendAt: utcInstantSchema,
  offsetMinutes: z.int().min(0).meta({ description: 'Minutes before the appointment starts' }),
});

export const reminderSentData = z.object({
  ...reminderRef,
  sentAt: utcInstantSchema,
  providerMessageId: shortTextSchema.optional().meta({ description: 'Id the delivery provider gave the message' }),
});

export const reminderFailedData = z.object({
  ...reminderRef,
  failedAt: utcInstantSchema,
  error: machineCodeSchema.meta({ examples: ['invalid_recipient', 'provider_timeout'] }),
  retryable: z.boolean(),
});

/** Data schemas of reminder delivery events, by event type. */
export const reminderEventDataSchemas = {
  'reminder.scheduled': reminderScheduledData,
  'reminder.sent': reminderSentData,
  'reminder.failed': reminderFailedData,
} as const;
