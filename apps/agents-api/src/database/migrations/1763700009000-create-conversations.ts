import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations (one per agent and end user, TIXAE `userID`) and their turns. A turn is one sender's batch of messages
 * (`from`, `messages[]`), stored whole as jsonb in conversation order (`seq`, unique per conversation, so two writers
 * can never overwrite each other's turn). Counters and handoff timestamps live on the conversation so lists, filters
 * and analytics are plain indexed SQL.
 */
export class CreateConversations1763700009000 implements MigrationInterface {
  name = 'CreateConversations1763700009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agents.conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        agent_id uuid NOT NULL REFERENCES agents.agents(id) ON DELETE CASCADE,
        user_id text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 200),
        origin text NOT NULL DEFAULT 'web-chat' CHECK (origin IN ('web-chat', 'whatsapp', 'discord', 'gb-chat')),
        state text NOT NULL DEFAULT 'ai-chatting'
          CHECK (state IN ('requested_chat', 'human-chatting', 'ai-chatting', 'ended_chat')),
        assigned_client_id uuid REFERENCES agents.clients(id) ON DELETE SET NULL,
        tags text[] NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        next_seq integer NOT NULL DEFAULT 0,
        messages_num integer NOT NULL DEFAULT 0,
        human_messages_num integer NOT NULL DEFAULT 0,
        bot_messages_num integer NOT NULL DEFAULT 0,
        interactions_num integer NOT NULL DEFAULT 0,
        sessions_num integer NOT NULL DEFAULT 0,
        first_message_at timestamptz,
        last_message_at timestamptz,
        ticket_id uuid,
        handoff_requested_at timestamptz,
        first_human_response_at timestamptz,
        ended_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX conversations_agent_user_uq ON agents.conversations (agent_id, user_id)`);
    // Cursor paging: newest activity first, id as the tie-breaker.
    await q.query(`CREATE INDEX conversations_list_idx ON agents.conversations (tenant_id, agent_id, updated_at DESC, id DESC)`);
    await q.query(`CREATE INDEX conversations_created_idx ON agents.conversations (agent_id, created_at)`);
    await q.query(`CREATE INDEX conversations_tags_idx ON agents.conversations USING gin (tags)`);
    await q.query(`CREATE INDEX conversations_assigned_idx ON agents.conversations (assigned_client_id) WHERE assigned_client_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE agents.conversation_turns (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        agent_id uuid NOT NULL,
        conversation_id uuid NOT NULL REFERENCES agents.conversations(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        sender text NOT NULL CHECK (sender IN ('human', 'bot')),
        operator_id uuid,
        messages jsonb NOT NULL CHECK (jsonb_typeof(messages) = 'array'),
        message_count integer GENERATED ALWAYS AS (jsonb_array_length(messages)) STORED,
        -- What the messages say (their items), not their ids, senders or types.
        search tsvector GENERATED ALWAYS AS
          (jsonb_to_tsvector('simple', jsonb_path_query_array(messages, '$[*].item'), '["string"]')) STORED,
        ts timestamptz NOT NULL DEFAULT now(),
        UNIQUE (conversation_id, seq)
      )`);
    await q.query(`CREATE INDEX conversation_turns_agent_ts_idx ON agents.conversation_turns (agent_id, ts)`);
    await q.query(`CREATE INDEX conversation_turns_search_idx ON agents.conversation_turns USING gin (search)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agents.conversation_turns`);
    await q.query(`DROP TABLE agents.conversations`);
  }
}
