"""Knowledge-test workflows (RULES.md R16–R19), being split into modules
named after what they hold."""

from c2i.assessment.services.sitting import *  # noqa: F403
