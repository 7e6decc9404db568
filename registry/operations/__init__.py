"""Operations: what the people who run the register start from a shell (the management commands),
backups and restores of the whole database, and the demo register."""
