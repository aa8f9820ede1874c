import { claimClock, timerJobId, type Assignment } from '../../src/domain/assignment.js';
import { fireStep } from '../../src/domain/sla.js';
import type { Member, Queue } from '../../src/domain/types.js';

const t0 = new Date('2025-03-03T12:00:00Z');
const plus = (s: number) => new Date(t0.getTime() + s * 1000);
const person = (id: string, role: Member['role'] = 'rep'): Member => ({
  id, tenantId: 't', name: id, role, timeZone: 'UTC', workingHours: null, outOfOffice: [], weight: 1, maxOpen: null, maxPerDay: null, active: true, openCount: 0, dayCount: 0, dayOf: null,
});
const rep = person('11111111-1111-4111-8111-111111111111');
const manager = person('22222222-2222-4222-8222-222222222222', 'manager');
const lead = '33333333-3333-4333-8333-333333333333';
const queue: Queue = {
  id: '44444444-4444-4444-8444-444444444444', tenantId: 't', name: 'q', isDefault: false, claimSlaSeconds: 300, firstTouchSlaSeconds: 600,
  businessHoursOnly: false, ignoreWorkingHours: false, fallbackMemberId: manager.id, memberIds: [rep.id],
  escalation: {
    claim: [{ target: { role: 'manager' }, action: 'notify', afterSeconds: 60 }, { target: { memberId: manager.id }, action: 'reassign', afterSeconds: 120 }, { target: { role: 'ops_lead' }, action: 'notify', afterSeconds: 30 }],
    firstTouch: [{ target: { memberId: manager.id }, action: 'reassign', afterSeconds: 0 }],
  },
};
const assigned: Assignment = {
  leadId: lead, tenantId: 't', queueId: queue.id, memberId: rep.id, state: 'assigned', correlationId: 'c', assignedAt: t0, ownerSince: t0,
  claimDeadline: plus(300), claimedAt: null, firstTouchDeadline: null, contactedAt: null, closedAt: null, overdueSince: null, sla: claimClock(plus(300), 0),
};

describe('SLA steps', () => {
  it('walks the claim ladder: overdue, notify, reassign with a new deadline, overdue again, last rung, stop', () => {
    const breach = fireStep({ assignment: assigned, queue, owner: rep, target: null, now: plus(300) });
    expect(breach.emissions.map((e) => e.type)).toEqual(['lead.claim_overdue']);
    expect(breach.next.sla).toMatchObject({ kind: 'claim', step: 1, level: 0, dueAt: plus(360) });

    const notify = fireStep({ assignment: breach.next, queue, owner: rep, target: { member: manager, role: 'manager' }, now: plus(360) });
    expect(notify.emissions).toEqual([{ type: 'lead.escalated', data: expect.objectContaining({ level: 1, action: 'notify', target: { memberId: manager.id, role: 'manager' } }) }]);
    expect(notify.next.sla).toMatchObject({ step: 2, level: 1, dueAt: plus(480) });

    const reassign = fireStep({ assignment: notify.next, queue, owner: rep, target: { member: manager }, now: plus(480) });
    expect(reassign.emissions.map((e) => e.type)).toEqual(['lead.escalated', 'lead.reassigned']);
    expect(reassign.next).toMatchObject({ memberId: manager.id, state: 'assigned', ownerSince: plus(480), claimDeadline: plus(780), overdueSince: null });
    expect(reassign.next.sla).toMatchObject({ kind: 'claim', step: 0, level: 2, dueAt: plus(780) });

    const again = fireStep({ assignment: reassign.next, queue, owner: manager, target: null, now: plus(780) });
    expect(again.next.sla).toMatchObject({ step: 3, dueAt: plus(810) });
    const last = fireStep({ assignment: again.next, queue, owner: manager, target: { member: null, role: 'ops_lead' }, now: plus(810) });
    expect(last.emissions[0]).toMatchObject({ data: { level: 3, target: { role: 'manager' } } });
    expect(last.next.sla).toMatchObject({ dueAt: null, level: 3 });
  });

  it('makes every state change a new timer id', () => {
    const breach = fireStep({ assignment: assigned, queue, owner: rep, target: null, now: plus(300) });
    expect(timerJobId({ leadId: lead, ...breach.next.sla, kind: 'claim' })).not.toBe(timerJobId({ leadId: lead, ...assigned.sla, kind: 'claim' }));
    expect(timerJobId({ leadId: lead, kind: 'claim', step: 0, version: 1 })).toBe(`sla-${lead}-claim-0-v1`);
  });

  it('hands a lead whose first touch is overdue to someone who must claim it', () => {
    const claimed: Assignment = { ...assigned, state: 'claimed', claimedAt: plus(10), firstTouchDeadline: plus(610), sla: { kind: 'first_touch', step: 0, level: 0, dueAt: plus(610), version: 5 } };
    const breach = fireStep({ assignment: claimed, queue, owner: rep, target: null, now: plus(610) });
    expect(breach.emissions[0]).toMatchObject({ type: 'lead.claim_overdue', data: { sla: 'first_touch' } });
    const moved = fireStep({ assignment: breach.next, queue, owner: rep, target: { member: manager }, now: plus(610) });
    expect(moved.next).toMatchObject({ state: 'assigned', memberId: manager.id, claimedAt: null, sla: { kind: 'claim', step: 0, level: 0, dueAt: plus(910) } });
  });

  it('notifies instead when a reassigning rung finds nobody else', () => {
    const breach = fireStep({ assignment: assigned, queue: { ...queue, escalation: { claim: [{ target: { role: 'rep' }, action: 'reassign', afterSeconds: 0 }], firstTouch: [] } }, owner: rep, target: null, now: plus(300) });
    const rung = fireStep({ assignment: breach.next, queue: { ...queue, escalation: { claim: [{ target: { role: 'rep' }, action: 'reassign', afterSeconds: 0 }], firstTouch: [] } }, owner: rep, target: { member: rep }, now: plus(300) });
    expect(rung.emissions.map((e) => e.type)).toEqual(['lead.escalated']);
    expect(rung.reassignedTo).toBeNull();
  });
});
