"""Question-bank interchange formats (GIFT, Moodle XML): pure modules, no Django import."""
