-- The clickstream application: raw clicks in, enriched clicks, per-user
-- click counts in tumbling windows, and a stream of server errors out.
--
-- Variables (deploy.sh sets them; override with -D NAME=VALUE):
--   clicks_topic    the topic the generator writes to
--   window_seconds  the size of the per-user windows
--
-- Every statement can run again unchanged: IF NOT EXISTS leaves what is
-- there, CREATE OR REPLACE changes a stateless query in place (same query
-- id, no reprocessing) when its text changed, and does nothing otherwise.

-- Raw clicks, as a web server's access log would give them. The event
-- time is the click's own `ts` (milliseconds since the epoch), not the
-- moment the record reached the worker.
CREATE STREAM IF NOT EXISTS clicks (
    user_id    VARCHAR KEY,
    url        VARCHAR,
    referrer   VARCHAR,
    user_agent VARCHAR,
    status     INT,
    ts         BIGINT
) WITH (KAFKA_TOPIC='${clicks_topic}', VALUE_FORMAT='JSON', PARTITIONS=2, TIMESTAMP='ts');

-- Queries created below start from the first click on the topic.
SET 'auto.offset.reset' = 'earliest';

-- Enrichment by functions: the host and path of the page and of the
-- referrer, the status as an outcome, and the agent classified by regular
-- expressions (bots first: their agent strings also name browsers).
CREATE OR REPLACE STREAM clicks_enriched AS
  SELECT user_id,
         URL_EXTRACT_HOST(url) AS host,
         URL_EXTRACT_PATH(url) AS path,
         COALESCE(URL_EXTRACT_HOST(referrer), '(direct)') AS referrer_host,
         status,
         CASE WHEN status >= 500 THEN 'server_error'
              WHEN status >= 400 THEN 'client_error'
              WHEN status >= 300 THEN 'redirect'
              ELSE 'ok' END AS outcome,
         CASE WHEN REGEXP_EXTRACT('(?i)bot|crawler|spider', user_agent) IS NOT NULL THEN 'bot'
              WHEN REGEXP_EXTRACT('Mobile|Android|iPhone', user_agent) IS NOT NULL THEN 'mobile'
              ELSE 'desktop' END AS device,
         COALESCE(REGEXP_EXTRACT('(Firefox|Edg|Chrome|Safari|curl)/', user_agent, 1), 'other')
           AS browser,
         ts
  FROM clicks
  EMIT CHANGES;

-- Clicks and distinct pages per user in tumbling windows of event time:
-- a table keyed by user and window (its rows carry WINDOWSTART and
-- WINDOWEND); a pull query reads them. IF NOT EXISTS, not OR REPLACE: a
-- different window size would need new state, so to change it, drop the
-- table first (DROP TABLE clicks_per_user) and deploy again.
CREATE TABLE IF NOT EXISTS clicks_per_user AS
  SELECT user_id,
         COUNT(*) AS clicks,
         COUNT_DISTINCT(path) AS pages
  FROM clicks_enriched
  WINDOW TUMBLING (SIZE ${window_seconds} SECONDS)
  GROUP BY user_id
  EMIT CHANGES;

-- Every click the server answered with a 5xx, for alerting.
CREATE OR REPLACE STREAM click_errors AS
  SELECT user_id, host, path, status, browser, ts
  FROM clicks_enriched
  WHERE status >= 500
  EMIT CHANGES;
