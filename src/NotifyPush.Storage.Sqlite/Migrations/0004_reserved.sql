-- Reserved: version 4 belongs to a migration of another change that lands beside this one. The runner
-- applies versions 1, 2, 3… without gaps, so this placeholder holds the number until that migration replaces it
-- (delete this file when merging it). It changes nothing.
SELECT 1;
