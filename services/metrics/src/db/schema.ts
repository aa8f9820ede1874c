/**
 * metrics's tables. Queries are written in SQL (rollup columns are generated from the counter spec, which a
 * static kysely type cannot follow), so kysely only needs to know the schema exists.
 */
export interface Database {}
