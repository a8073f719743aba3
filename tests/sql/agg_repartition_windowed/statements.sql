-- GROUP BY a value column of a stream with four partitions keyed by
-- something else (the auction), in tumbling windows over a TIMESTAMP
-- column: on Kafka the aggregation runs in two stages through a
-- repartition topic, which must keep each record's event time (the
-- windows, and the row times of the last row of each window, are those
-- of the column; the record timestamps are 0) and drop what WHERE drops
-- and the NULL bidder before the repartition. Records of one bidder come
-- from several partitions in any order, so each bidder bids in one window
-- only, its rows count 1, 2, 3 in turn, and only the last one's row time
-- is checked.
CREATE STREAM bids (auction VARCHAR KEY, bidder VARCHAR, amount DECIMAL(6, 2), at BIGINT)
  WITH (KAFKA_TOPIC='bids', VALUE_FORMAT='JSON', PARTITIONS=4, TIMESTAMP='at');
CREATE TABLE bids_per_bidder AS
  SELECT bidder, COUNT(*) AS n, WINDOWSTART AS ws
  FROM bids WINDOW TUMBLING (SIZE 1 MINUTE)
  WHERE amount > 1
  GROUP BY bidder EMIT CHANGES;
