SELECT 1, 1.5, 1.5E3, 2e-3, .5, 10., 'str', 'it''s', TRUE, FALSE, NULL FROM s;
