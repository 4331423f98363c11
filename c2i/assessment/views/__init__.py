"""Pages of the knowledge test, one module per audience: `bank` (authors and
reviewers: the question bank, its import and export), `exams` (correspondents:
exams and results) and `taking` (candidates: the test itself)."""
