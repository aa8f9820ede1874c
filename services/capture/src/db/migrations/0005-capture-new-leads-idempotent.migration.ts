import { sql, type Kysely, type Migration } from 'kysely';
import { captureNewLeadsSetBasedMigration0004 } from './0004-capture-new-leads-set-based.migration.js';

/*
 * Frozen in time: capture_new_leads (0004) taking leads sent with an Idempotency-Key as well, so those
 * requests share a statement and a commit too instead of running a transaction of four round trips each.
 *
 * An item may carry `idempotency`: {tenantId, key, fingerprint, ttlSeconds, status, body}, the claim
 * withIdempotency would make and the response a created lead answers. Such a new lead is stored only if this
 * statement claims its key, and then the key's row is stored already holding that response. The statement
 * never waits for a key: it tries the key's advisory lock (idempotency_lock_id), which any transaction
 * claiming the key holds to its commit, and an item whose lock is held, whose key is live, or whose key an
 * earlier item of the batch carries is reported as `taken` with nothing written for it. The service then
 * runs that request through withIdempotency, which waits its turn and replays (or answers 422). Not waiting
 * matters: the statement holds contact locks that a withIdempotency transaction holding the key may want.
 *
 * Returns (item, outcome) for every item not stored: `duplicate` (met an open lead, as in 0004; no key is
 * claimed for it) or `taken`. A caller of 0004 that reads only `item` treats both as duplicates, which it
 * captures again on its own: still correct.
 */
export const captureNewLeadsIdempotentMigration0005: Migration = {
  async up(db: Kysely<any>) {
    await sql`DROP FUNCTION capture_new_leads(jsonb)`.execute(db);
    await sql`
      CREATE FUNCTION capture_new_leads(p_items jsonb)
      RETURNS TABLE (item integer, outcome text) LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(k)
        FROM (
          SELECT DISTINCT hashtextextended(key, 0) AS k
          FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements_text(i->'lockKeys') AS key
          ORDER BY k
        ) AS ordered;
        RETURN QUERY
        WITH items AS (
          SELECT (t.ord - 1)::integer AS idx, t.value->'event' AS event, t.value->'event'->'data' AS data,
                 (t.value->>'since')::timestamptz AS since, t.value->>'topic' AS topic, t.value->'idempotency' AS idem
          FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(value, ord)
        ), keyed AS (
          SELECT i.*, (i.event->>'tenantid')::uuid AS tenant_id,
                 i.data->'contact'->>'email' AS email, i.data->'contact'->>'phone' AS phone,
                 i.idem->>'tenantId' AS idem_tenant, i.idem->>'key' AS idem_key
          FROM items AS i
        ), judged AS (
          -- Per item, as in capture_new_lead: one range scan per key, the newest open lead wins.
          SELECT k.*, COALESCE(
            (SELECT m.id FROM (
               (SELECT l.id, l.created_at FROM leads AS l
                WHERE l.tenant_id = k.tenant_id AND l.email = k.email AND l.created_at >= k.since AND l.status <> 'closed'
                ORDER BY l.created_at DESC LIMIT 1)
               UNION ALL
               (SELECT l.id, l.created_at FROM leads AS l
                WHERE l.tenant_id = k.tenant_id AND l.phone = k.phone AND l.created_at >= k.since AND l.status <> 'closed'
                ORDER BY l.created_at DESC LIMIT 1)
             ) AS m ORDER BY m.created_at DESC LIMIT 1),
            (SELECT (e.event->>'subject')::uuid FROM keyed AS e
             WHERE e.idx < k.idx AND e.tenant_id = k.tenant_id AND (e.email = k.email OR e.phone = k.phone)
             ORDER BY e.idx DESC LIMIT 1)
          ) AS duplicate_of,
          -- Only the first item carrying a key may claim it: one INSERT cannot claim a key twice.
          k.idem IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM keyed AS e WHERE e.idx < k.idx AND e.idem_tenant = k.idem_tenant AND e.idem_key = k.idem_key
          ) AS first_of_key
          FROM keyed AS k
        ), claims AS (
          -- CASE, not AND: the lock is tried only for items that may claim, and a lock tried is held to commit.
          INSERT INTO idempotency_keys AS ik (tenant_id, key, fingerprint, status, body, expires_at)
          SELECT j.idem_tenant, j.idem_key, j.idem->>'fingerprint', (j.idem->>'status')::integer, j.idem->'body',
                 now() + (j.idem->>'ttlSeconds')::float8 * interval '1 second'
          FROM judged AS j
          WHERE CASE WHEN j.duplicate_of IS NULL AND j.first_of_key
                     THEN pg_try_advisory_xact_lock(idempotency_lock_id(j.idem_tenant, j.idem_key)) ELSE false END
          ON CONFLICT (tenant_id, key) DO UPDATE
            SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
                created_at = now(), expires_at = EXCLUDED.expires_at
            WHERE ik.expires_at <= now()
          RETURNING ik.tenant_id, ik.key
        ), stored AS (
          SELECT j.* FROM judged AS j
          WHERE j.duplicate_of IS NULL
            AND (j.idem IS NULL OR (j.first_of_key AND EXISTS (
              SELECT 1 FROM claims AS c WHERE c.tenant_id = j.idem_tenant AND c.key = j.idem_key)))
        ), new_leads AS (
          INSERT INTO leads (
            id, tenant_id, entry_path, status, name, email, phone, preferred_channel, time_zone,
            company, source, external_ids, context, attributes, completeness_score, missing, created_at, updated_at
          )
          SELECT (s.event->>'subject')::uuid, s.tenant_id, s.data->>'entryPath', 'new',
            s.data->'contact'->>'name', s.email, s.phone, s.data->'contact'->>'preferredChannel', s.data->>'timeZone',
            s.data->'company', s.data->'source', s.data->'externalIds', s.data->'context', s.data->'attributes',
            (s.data->'completeness'->>'score')::smallint,
            ARRAY(SELECT jsonb_array_elements_text(s.data->'completeness'->'missing')),
            (s.data->>'capturedAt')::timestamptz, (s.data->>'capturedAt')::timestamptz
          FROM stored AS s
        ), new_events AS (
          -- In item order, so outbox ids (the relay's order) follow the order the leads were queued in.
          INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
          SELECT (s.event->>'id')::uuid, s.topic, s.event->>'subject', s.event->>'type', s.event
          FROM stored AS s
          ORDER BY s.idx
        )
        SELECT j.idx, CASE WHEN j.duplicate_of IS NOT NULL THEN 'duplicate' ELSE 'taken' END
        FROM judged AS j WHERE NOT EXISTS (SELECT 1 FROM stored AS s WHERE s.idx = j.idx);
      END $$`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION capture_new_leads(jsonb)`.execute(db);
    await captureNewLeadsSetBasedMigration0004.up(db);
  },
};
