SELECT count(*) FROM "ds_orders" WHERE "order_ts" >= TIMESTAMP '2025-11-02 00:00:00.000' AND "order_ts" < TIMESTAMP '2026-01-01 00:00:00.000' AND CAST("region" AS VARCHAR) IN ('EMEA');;
SELECT count(*) FROM "ds_orders" WHERE "order_ts" >= TIMESTAMP '2025-11-02 00:00:00.000' AND "order_ts" < TIMESTAMP '2026-01-01 00:00:00.000' AND "region" = 'EMEA';;
SELECT count(*) FROM "ds_orders" WHERE "order_ts" >= TIMESTAMP '2025-11-02 00:00:00.000' AND "order_ts" < TIMESTAMP '2026-01-01 00:00:00.000' AND "quantity" = 2;;
SELECT count(*) FROM "ds_orders" WHERE "order_ts" >= TIMESTAMP '2025-11-02 00:00:00.000' AND "order_ts" < TIMESTAMP '2026-01-01 00:00:00.000' AND "amount" > 50;;
SELECT count(region) FROM "ds_orders" WHERE "order_ts" >= TIMESTAMP '2025-11-02 00:00:00.000' AND "order_ts" < TIMESTAMP '2026-01-01 00:00:00.000';;
EXPLAIN SELECT count(*) FROM "ds_orders" WHERE "order_ts" >= TIMESTAMP '2025-11-02 00:00:00.000' AND "order_ts" < TIMESTAMP '2026-01-01 00:00:00.000' AND CAST("region" AS VARCHAR) IN ('EMEA');;
