import { decide, type Activity } from '../../src/domain/activity.js';
import type { LeadStatus } from '../../src/domain/lead.js';

const at = new Date('2026-03-01T10:00:00Z');
const actor = { type: 'integration' as const, id: 'dialer' };
const base = { occurredAt: at, actor };

const activities: Record<Activity['type'], Activity> = {
  contact_attempted: { ...base, type: 'contact_attempted', channel: 'phone', outcome: 'voicemail' },
  contacted: { ...base, type: 'contacted', channel: 'phone' },
  note: { ...base, type: 'note', text: 'prefers mornings' },
  qualified: { ...base, type: 'qualified', qualification: { budget: '10k', framework: 'BANT' } },
  disqualified: { ...base, type: 'disqualified', reason: 'no_budget' },
  closed: { ...base, type: 'closed', outcome: 'won', value: { amount: 1200, currency: 'EUR' } },
};

describe('decide', () => {
  it('given a new lead, when a contact attempt is recorded, then it is attempting and lead.contact_attempted follows', () => {
    expect(decide(activities.contact_attempted, 'new')).toEqual({
      ok: true,
      status: 'attempting',
      event: { type: 'lead.contact_attempted', data: { channel: 'phone', outcome: 'voicemail', attemptedAt: at.toISOString(), actor } },
    });
  });

  it('moves working statuses forward only', () => {
    const next = (activity: Activity, status: LeadStatus) => {
      const decision = decide(activity, status);
      return decision.ok ? decision.status : decision.code;
    };
    expect(next(activities.contacted, 'attempting')).toBe('contacted');
    expect(next(activities.contact_attempted, 'contacted')).toBe('contacted');
    expect(next(activities.contacted, 'qualified')).toBe('qualified');
    expect(next(activities.qualified, 'new')).toBe('qualified');
    expect(next(activities.disqualified, 'contacted')).toBe('disqualified');
    expect(next(activities.closed, 'qualified')).toBe('closed');
  });

  it('emits no event for a note, and keeps the status', () => {
    expect(decide(activities.note, 'contacted')).toEqual({ ok: true, status: 'contacted', event: null });
  });

  it('given a closed lead, then only notes are accepted', () => {
    for (const activity of Object.values(activities)) {
      const decision = decide(activity, 'closed');
      if (activity.type === 'note') expect(decision.ok).toBe(true);
      else expect(decision).toEqual({ ok: false, code: 'lead_closed', message: expect.stringContaining(`not ${activity.type}`) });
    }
  });

  it('given a disqualified lead, then it can be re-qualified or closed, but not contacted, won or disqualified again', () => {
    expect(decide(activities.qualified, 'disqualified')).toMatchObject({ ok: true, status: 'qualified' });
    expect(decide({ ...activities.closed, outcome: 'lost' } as Activity, 'disqualified')).toMatchObject({ ok: true, status: 'closed' });
    expect(decide(activities.closed, 'disqualified')).toMatchObject({ ok: false, code: 'lead_disqualified' });
    expect(decide(activities.contacted, 'disqualified')).toMatchObject({ ok: false, code: 'lead_disqualified' });
    expect(decide(activities.contact_attempted, 'disqualified')).toMatchObject({ ok: false, code: 'lead_disqualified' });
    expect(decide(activities.disqualified, 'disqualified')).toMatchObject({ ok: false, code: 'already_disqualified' });
  });

  it('builds event data that carries the activity time and actor', () => {
    expect(decide(activities.closed, 'qualified')).toEqual({
      ok: true,
      status: 'closed',
      event: { type: 'lead.closed', data: { outcome: 'won', reason: undefined, value: { amount: 1200, currency: 'EUR' }, closedAt: at.toISOString(), actor } },
    });
  });
});
