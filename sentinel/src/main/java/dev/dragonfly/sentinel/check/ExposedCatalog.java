package dev.dragonfly.sentinel.check;

import java.util.Arrays;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * What the database has in PostgREST's exposed schemas, newest first: the relations PostgREST
 * serves (tables, partitioned tables, views, materialized views, foreign tables; partitions are
 * not served) with their columns, and the functions it serves as {@code /rpc/}.
 */
record ExposedCatalog(List<Relation> relations, List<Function> functions) {
  record Relation(String schema, String name, String kind, List<String> columns) {}

  record Function(String schema, String name) {}

  /** The newest {@code limit} relations and functions; oid order stands in for creation order. */
  static ExposedCatalog read(Jdbi jdbi, List<String> schemas, int limit) {
    return jdbi.withHandle(h -> new ExposedCatalog(
        h.createQuery("""
                SELECT n.nspname AS schema, c.relname AS name,
                       CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                      WHEN 'f' THEN 'foreign table' ELSE 'table' END AS kind,
                       ARRAY(SELECT a.attname::text FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                             ORDER BY a.attnum) AS columns
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
                ORDER BY c.oid DESC
                LIMIT :limit""")
            .bindArray("schemas", String.class, schemas).bind("limit", limit)
            .map((rs, ctx) -> new Relation(rs.getString("schema"), rs.getString("name"), rs.getString("kind"),
                Arrays.asList((String[]) rs.getArray("columns").getArray())))
            .list(),
        // PUBLIC may execute: the OpenAPI root lists these for any role (see SchemaCache)
        h.createQuery("""
                SELECT n.nspname AS schema, p.proname AS name
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = ANY(:schemas) AND p.prokind = 'f'
                  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
                  AND has_function_privilege('public', p.oid, 'EXECUTE')
                GROUP BY n.nspname, p.proname
                ORDER BY max(p.oid) DESC
                LIMIT :limit""")
            .bindArray("schemas", String.class, schemas).bind("limit", limit)
            .map((rs, ctx) -> new Function(rs.getString("schema"), rs.getString("name")))
            .list()));
  }
}
