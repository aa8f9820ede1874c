import { sql, type Kysely, type Migration } from 'kysely';
import { captureNewLeadsMigration0003 } from './0003-capture-new-leads.migration.js';

/*
 * Frozen in time: capture_new_leads (0003) as set-based statements. 0003 called capture_new_lead once per
 * item, and each call ran five statements of its own (locks, lookup, two inserts, the call itself): on a
 * two-core machine that per-statement overhead was most of Postgres's cost per lead. Here, after the same
 * contact locks, one statement judges every item and inserts the new leads and their events together; the
 * measured cost per lead in Postgres about halves.
 *
 * Same contract as 0003: the items that met a duplicate are returned and nothing is written for them. The
 * lookups run after the locks are granted (a statement of a VOLATILE plpgsql function takes a fresh snapshot),
 * so a concurrent capture of the same contact is seen. An item repeating the email or phone of an earlier
 * item of the batch is reported as a duplicate, as 0003 did once that earlier lead was written; the service
 * captures each duplicate again on its own (capture_new_lead), which merges it or, when there is nothing
 * open to merge into after all, stores it. (Such an item's duplicate_of may name a lead that was not written,
 * when the earlier item was itself a duplicate or outside the window; the service does not read it.)
 */
export const captureNewLeadsSetBasedMigration0004: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE OR REPLACE FUNCTION capture_new_leads(p_items jsonb)
      RETURNS TABLE (item integer, duplicate_of uuid) LANGUAGE plpgsql AS $$
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
                 (t.value->>'since')::timestamptz AS since, t.value->>'topic' AS topic
          FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(value, ord)
        ), keyed AS (
          SELECT i.*, (i.event->>'tenantid')::uuid AS tenant_id,
                 i.data->'contact'->>'email' AS email, i.data->'contact'->>'phone' AS phone
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
          ) AS duplicate_of
          FROM keyed AS k
        ), new_leads AS (
          INSERT INTO leads (
            id, tenant_id, entry_path, status, name, email, phone, preferred_channel, time_zone,
            company, source, external_ids, context, attributes, completeness_score, missing, created_at, updated_at
          )
          SELECT (j.event->>'subject')::uuid, j.tenant_id, j.data->>'entryPath', 'new',
            j.data->'contact'->>'name', j.email, j.phone, j.data->'contact'->>'preferredChannel', j.data->>'timeZone',
            j.data->'company', j.data->'source', j.data->'externalIds', j.data->'context', j.data->'attributes',
            (j.data->'completeness'->>'score')::smallint,
            ARRAY(SELECT jsonb_array_elements_text(j.data->'completeness'->'missing')),
            (j.data->>'capturedAt')::timestamptz, (j.data->>'capturedAt')::timestamptz
          FROM judged AS j WHERE j.duplicate_of IS NULL
        ), new_events AS (
          -- In item order, so outbox ids (the relay's order) follow the order the leads were queued in.
          INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
          SELECT (j.event->>'id')::uuid, j.topic, j.event->>'subject', j.event->>'type', j.event
          FROM judged AS j WHERE j.duplicate_of IS NULL
          ORDER BY j.idx
        )
        SELECT j.idx, j.duplicate_of FROM judged AS j WHERE j.duplicate_of IS NOT NULL;
      END $$`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION capture_new_leads(jsonb)`.execute(db);
    await captureNewLeadsMigration0003.up(db);
  },
};
