import type { EventData, EventType } from './catalog.js';

// One coherent story (a roofing estimate request from Dana Reyes, booked and held) so the examples also
// document how the events of one lead relate. Names, emails and numbers are reserved/fictional.

const ids = {
  queue: '0b3e5f7a-2c4d-4e6f-8a1b-3c5d7e9f1a2b',
  rule: '1c4f6a8b-3d5e-4f7a-9b2c-4d6e8f0a2b3c',
  setter: '2d5a7b9c-4e6f-4a8b-8c3d-5e7f9a1b3c4d',
  rep: '3e6b8c0d-5f7a-4b9c-9d4e-6f8a0b2c4d5e',
  manager: '4f7c9d1e-6a8b-4c0d-8e5f-7a9b1c3d5e6f',
  appointment: '5a8d0e2f-7b9c-4d1e-9f6a-8b0c2d4e6f7a',
  reminder: '6b9e1f3a-8c0d-4e2f-8a7b-9c1d3e5f7a8b',
} as const;

const setter = { type: 'member', id: ids.setter } as const;

/** One realistic, valid data payload per event type (JSON Schema `examples`, docs, other packages' tests). */
export const exampleEvents: { [T in EventType]: EventData<T> } = {
  'lead.captured': {
    entryPath: 'estimate_request',
    source: { system: 'website-estimate-form', campaign: 'spring-roof-2025', medium: 'cpc', referrer: 'google.com' },
    contact: { name: 'Dana Reyes', email: 'dana.reyes@example.com', phone: '+14155550123', preferredChannel: 'phone' },
    timeZone: 'America/Los_Angeles',
    company: { name: 'Reyes Property Group', size: '11-50', industry: 'real_estate', country: 'US' },
    externalIds: { hubspot: '90412233', formSubmission: 'fs_7QmZ2k' },
    context: {
      intent: 'Replace the roof on a 12-unit apartment building',
      painPoints: ['active leak in two units', 'insurance renewal requires inspection'],
      timeline: 'before the rainy season (October)',
      budgetSignals: ['has an insurance claim open', 'asked about financing'],
      stakeholders: [
        { name: 'Dana Reyes', role: 'property manager', isDecisionMaker: false },
        { name: 'Luis Reyes', role: 'owner', isDecisionMaker: true },
      ],
      objections: ['got a cheaper quote last year'],
      agreedNextStep: 'on-site estimate visit',
      notes: 'Prefers calls after 3pm; gate code is shared on the day of the visit.',
    },
    attributes: { units: 12, propertyType: 'multifamily', zip: '94110', urgent: true },
    completeness: { score: 85, missing: ['company.industry_code'] },
    capturedAt: '2025-03-10T16:02:11.000Z',
  },
  'lead.updated': {
    changes: { contact: { email: 'dana@reyespg.example.com' }, attributes: { units: 14 } },
    mergedFrom: { entryPath: 'phone', source: { system: 'call-tracking', campaign: 'spring-roof-2025' } },
    completeness: { score: 90, missing: [] },
  },
  'lead.contact_attempted': {
    channel: 'phone',
    outcome: 'voicemail',
    attemptedAt: '2025-03-10T16:06:40.000Z',
    actor: setter,
  },
  'lead.contacted': { channel: 'phone', contactedAt: '2025-03-10T16:31:05.000Z', actor: setter },
  'lead.qualified': {
    qualification: {
      budget: 'insurance claim plus ~$40k',
      authority: 'owner signs; manager recommends',
      need: 'leaking roof, inspection due',
      timeline: 'before October',
      framework: 'BANT',
    },
    qualifiedAt: '2025-03-10T16:45:00.000Z',
    actor: setter,
  },
  'lead.disqualified': {
    reason: 'bad_timing',
    detail: 'Building sale closes next month; new owner will decide.',
    disqualifiedAt: '2025-03-11T09:15:00.000Z',
    actor: setter,
  },
  'lead.closed': {
    outcome: 'won',
    reason: 'accepted estimate',
    value: { amount: 48250, currency: 'USD' },
    closedAt: '2025-03-20T18:00:00.000Z',
    actor: { type: 'integration', id: 'hubspot' },
  },
  'lead.assigned': {
    owner: { memberId: ids.setter, role: 'setter' },
    queueId: ids.queue,
    reason: 'rule_match',
    routing: {
      ruleId: ids.rule,
      matchedRule: 'West coast estimate requests',
      considered: [
        { memberId: ids.rep, eligible: false, skippedBecause: 'at_cap' },
        { memberId: ids.setter, eligible: true },
      ],
      fallback: false,
    },
    assignedAt: '2025-03-10T16:02:12.000Z',
    claimDeadline: '2025-03-10T16:07:12.000Z',
  },
  'lead.claimed': {
    memberId: ids.setter,
    claimedAt: '2025-03-10T16:04:30.000Z',
    secondsToClaim: 138,
    firstTouchDeadline: '2025-03-10T16:19:30.000Z',
  },
  'lead.claim_overdue': {
    memberId: ids.setter,
    queueId: ids.queue,
    deadline: '2025-03-10T16:07:12.000Z',
    overdueAt: '2025-03-10T16:07:13.000Z',
    sla: 'claim',
  },
  'lead.escalated': {
    level: 1,
    sla: 'claim',
    action: 'notify',
    target: { memberId: ids.manager, role: 'manager' },
    escalatedAt: '2025-03-10T16:07:14.000Z',
  },
  'lead.reassigned': {
    fromMemberId: ids.setter,
    toMemberId: ids.rep,
    queueId: ids.queue,
    reason: 'escalation',
    reassignedAt: '2025-03-10T16:12:14.000Z',
    claimDeadline: '2025-03-10T16:17:14.000Z',
  },
  'appointment.booked': {
    appointmentId: ids.appointment,
    startAt: '2025-03-13T21:00:00.000Z',
    endAt: '2025-03-13T22:00:00.000Z',
    attendeeTimeZone: 'America/Los_Angeles',
    meetingType: 'estimate_visit',
    agenda: 'Roof inspection, photos of the two leaking units, walk through financing options.',
    location: { kind: 'in_person', detail: 'On site, meet at the leasing office' },
    attendees: [
      { name: 'Dana Reyes', email: 'dana.reyes@example.com', role: 'buyer' },
      { name: 'Sam Okafor', email: 'sam.okafor@example.com', role: 'rep', memberId: ids.rep },
    ],
    bookedBy: { type: 'member', memberId: ids.setter },
    setterId: ids.setter,
    ownerId: ids.rep,
  },
  'appointment.confirmed': { appointmentId: ids.appointment, confirmedAt: '2025-03-10T17:02:00.000Z', via: 'link' },
  'appointment.rescheduled': {
    appointmentId: ids.appointment,
    previousStartAt: '2025-03-13T21:00:00.000Z',
    startAt: '2025-03-14T17:00:00.000Z',
    endAt: '2025-03-14T18:00:00.000Z',
    attendeeTimeZone: 'America/Los_Angeles',
    reason: 'Owner wants to attend; only free Friday morning.',
    rescheduledBy: 'buyer',
  },
  'appointment.cancelled': {
    appointmentId: ids.appointment,
    cancelledAt: '2025-03-12T15:20:00.000Z',
    reason: 'Chose another contractor.',
    cancelledBy: 'buyer',
  },
  'appointment.held': {
    appointmentId: ids.appointment,
    heldAt: '2025-03-14T17:03:00.000Z',
    durationMinutes: 52,
    outcomeNotes: 'Full tear-off recommended; estimate to be sent within 48h.',
  },
  'appointment.no_show': { appointmentId: ids.appointment, recordedAt: '2025-03-14T17:20:00.000Z', noShowParty: 'buyer' },
  'reminder.scheduled': {
    appointmentId: ids.appointment,
    reminderId: ids.reminder,
    channel: 'sms',
    sendAt: '2025-03-14T16:00:00.000Z',
    offsetMinutes: 60,
  },
  'reminder.sent': {
    appointmentId: ids.appointment,
    reminderId: ids.reminder,
    channel: 'sms',
    sentAt: '2025-03-14T16:00:02.000Z',
    providerMessageId: 'SM5f2c9a0e7b1d4c3a8f6e2d1c0b9a8f7e',
  },
  'reminder.failed': {
    appointmentId: ids.appointment,
    reminderId: ids.reminder,
    channel: 'sms',
    failedAt: '2025-03-14T16:00:03.000Z',
    error: 'invalid_recipient',
    retryable: false,
  },
};
