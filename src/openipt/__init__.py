"""OpenIPT: an open-source platform for delivering Interpersonal Psychotherapy."""
