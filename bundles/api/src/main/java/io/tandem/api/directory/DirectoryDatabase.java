package io.tandem.api.directory;

/** The directory's database as a part of the infrastructure: is it reachable, and how is it replicated. */
public interface DirectoryDatabase {

    /** Queries the database now; never throws for database failures (they come back as an unreachable status). */
    DatabaseStatus databaseStatus();
}
