import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: many new-lead captures as one statement, so concurrent requests share one round trip and
 * one commit (group commit done by the service instead of hoped for from Postgres).
 *
 * Each item is what capture_new_lead takes. All contact locks of the batch are taken first, in the global
 * hash order capture_new_lead uses, so a batch and a single capture (or two batches) sharing contacts wait
 * for each other instead of deadlocking. Items then run in order through capture_new_lead, so an item
 * repeating an earlier item's email sees that lead. Returns the items that met a duplicate (nothing written
 * for them; the service merges each in a transaction of its own); every other item's lead and event are
 * written.
 */
export const captureNewLeadsMigration0003: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION capture_new_leads(p_items jsonb)
      RETURNS TABLE (item integer, duplicate_of uuid) LANGUAGE plpgsql AS $$
      DECLARE
        v_item jsonb;
        v_index integer;
        v_duplicate leads;
      BEGIN
        PERFORM pg_advisory_xact_lock(k)
        FROM (
          SELECT DISTINCT hashtextextended(key, 0) AS k
          FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements_text(i->'lockKeys') AS key
          ORDER BY k
        ) AS ordered;
        FOR v_item, v_index IN SELECT value, ordinality - 1 FROM jsonb_array_elements(p_items) WITH ORDINALITY LOOP
          SELECT * INTO v_duplicate FROM capture_new_lead(
            ARRAY(SELECT jsonb_array_elements_text(v_item->'lockKeys')),
            (v_item->>'since')::timestamptz, v_item->'event', v_item->>'topic');
          IF FOUND THEN
            item := v_index;
            duplicate_of := v_duplicate.id;
            RETURN NEXT;
          END IF;
        END LOOP;
      END $$`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION capture_new_leads(jsonb)`.execute(db);
  },
};
