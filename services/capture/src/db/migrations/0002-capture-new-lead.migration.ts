import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: the capture of a new lead as one statement. A capture is the hot path of the service,
 * and on a two-core machine every round trip to Postgres costs more than the work it carries; this does in
 * one call what would otherwise be four (contact lock, duplicate lookup, lead insert, outbox insert).
 *
 * Why a function: the duplicate lookup must run after the contact lock is granted, with a snapshot taken
 * after that moment, or two concurrent captures of one email both miss each other. A single SQL statement
 * takes its snapshot before it starts, so it cannot lock-then-look; statements of a VOLATILE plpgsql
 * function each take a fresh snapshot (READ COMMITTED), so the lookup sees whoever held the lock before.
 *
 * It returns the duplicate (locked FOR UPDATE, nothing written) or no row (lead and its event written).
 * The lead row is read from the lead.captured event that announces it: what is stored and what is published
 * cannot differ, and the lead is serialised once. The outbox row needs no per-key ordering lock: nobody else
 * can write events for a lead whose id is new.
 */
export const captureNewLeadMigration0002: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION capture_new_lead(p_lock_keys text[], p_since timestamptz, p_event jsonb, p_topic text)
      RETURNS SETOF leads LANGUAGE plpgsql AS $$
      DECLARE
        v_data jsonb := p_event->'data';
        v_tenant_id uuid := (p_event->>'tenantid')::uuid;
        v_email text := v_data->'contact'->>'email';
        v_phone text := v_data->'contact'->>'phone';
        v_id uuid;
      BEGIN
        -- One global order (the hash), so captures sharing an email and a phone cannot deadlock.
        PERFORM pg_advisory_xact_lock(k)
        FROM (SELECT DISTINCT hashtextextended(key, 0) AS k FROM unnest(p_lock_keys) AS key ORDER BY k) AS ordered;
        -- One lookup per key, each a range scan of (tenant_id, email|phone, created_at). A single query on
        -- "email = $1 OR phone = $2" gets planned, while the table is small, as a filter over the tenant's
        -- rows; plpgsql keeps that plan for the connection's life, and it slows with every lead captured.
        -- A closed lead's loop is finished: someone coming back is new work, not context for a closed file.
        SELECT d.id INTO v_id FROM (
          (SELECT id, created_at FROM leads
           WHERE tenant_id = v_tenant_id AND email = v_email AND created_at >= p_since AND status <> 'closed'
           ORDER BY created_at DESC LIMIT 1)
          UNION ALL
          (SELECT id, created_at FROM leads
           WHERE tenant_id = v_tenant_id AND phone = v_phone AND created_at >= p_since AND status <> 'closed'
           ORDER BY created_at DESC LIMIT 1)
        ) AS d
        ORDER BY d.created_at DESC
        LIMIT 1;
        IF v_id IS NOT NULL THEN
          -- Locked on its own (FOR UPDATE cannot follow a UNION); a lead closed meanwhile is no duplicate.
          RETURN QUERY SELECT * FROM leads WHERE id = v_id AND status <> 'closed' FOR UPDATE;
          IF FOUND THEN
            RETURN;
          END IF;
        END IF;
        INSERT INTO leads (
          id, tenant_id, entry_path, status, name, email, phone, preferred_channel, time_zone,
          company, source, external_ids, context, attributes, completeness_score, missing, created_at, updated_at
        ) VALUES (
          (p_event->>'subject')::uuid, v_tenant_id, v_data->>'entryPath', 'new',
          v_data->'contact'->>'name', v_email, v_phone, v_data->'contact'->>'preferredChannel', v_data->>'timeZone',
          v_data->'company', v_data->'source', v_data->'externalIds', v_data->'context', v_data->'attributes',
          (v_data->'completeness'->>'score')::smallint,
          ARRAY(SELECT jsonb_array_elements_text(v_data->'completeness'->'missing')),
          (v_data->>'capturedAt')::timestamptz, (v_data->>'capturedAt')::timestamptz
        );
        INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
        VALUES ((p_event->>'id')::uuid, p_topic, p_event->>'subject', p_event->>'type', p_event);
      END $$`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION capture_new_lead(text[], timestamptz, jsonb, text)`.execute(db);
  },
};
