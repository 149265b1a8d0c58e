import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The GIN index over what conversation turns say gets a new entry for every turn (two per Chat Interact). With the
 * default 4 MB pending list, the insert that fills it merges thousands of turns into the index itself — a stall of
 * a hundred milliseconds or more inside an interact's transaction (measured as the tail of bench/interact). A 256 kB
 * list is merged in small steps (a few milliseconds each); autovacuum still cleans it in the background.
 */
export class ConversationSearchPendingList1763700012000 implements MigrationInterface {
  name = 'ConversationSearchPendingList1763700012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER INDEX agents.conversation_turns_search_idx SET (gin_pending_list_limit = 256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER INDEX agents.conversation_turns_search_idx RESET (gin_pending_list_limit)`);
  }
}
