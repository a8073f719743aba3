SET 'processing.guarantee'='exactly_once_v2';
