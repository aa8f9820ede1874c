import { testEnv, uniqueName } from '@baton/testing';
import { createKafkaClient, deleteTopics, ensureTopics } from '../src/index.js';
import { awaitLeaders, type TopicLayout } from '../src/topics.js';
import { silentLogger } from './support.js';

// Given a broker whose metadata is still settling after a topic was created (KRaft answers "unknown topic"
// for a moment), when we wait for leaders, then we ask again rather than fail, and only real errors or a
// timeout end the wait.

const settling = (type: string) => Object.assign(new Error(type), { type });
const led = (name: string, leaders: number[]): TopicLayout => ({ name, partitions: leaders.map((leader, partitionId) => ({ partitionId, leader })) });

function scripted(answers: Array<TopicLayout[] | Error>) {
  let calls = 0;
  const describe = async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { describe, calls: () => calls };
}

describe('awaitLeaders', () => {
  test('given unknown topic, then no leader (after the client gave up retrying), then a missing topic, then all led, then it resolves on the fifth ask', async () => {
    const broker = scripted([
      settling('UNKNOWN_TOPIC_OR_PARTITION'),
      Object.assign(new Error('retries exceeded'), { cause: settling('LEADER_NOT_AVAILABLE') }),
      [led('a', [1, -1, 1]), led('b', [1])],
      [led('a', [1, 1, 1])],
      [led('a', [1, 1, 1]), led('b', [1])],
    ]);
    await awaitLeaders(broker.describe, ['a', 'b'], { delayMs: 1 });
    expect(broker.calls()).toBe(5);
  });

  test('given an error that is not metadata settling, then it is thrown at once', async () => {
    const broker = scripted([Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' })]);
    await expect(awaitLeaders(broker.describe, ['a'], { delayMs: 1 })).rejects.toThrow('denied');
    expect(broker.calls()).toBe(1);
  });

  test('given a topic that never gets a leader, then the timeout names it', async () => {
    const broker = scripted([[led('a', [1]), led('b', [-1])]]);
    await expect(awaitLeaders(broker.describe, ['a', 'b'], { timeoutMs: 30, delayMs: 5 })).rejects.toThrow('no leader for every partition of b after 30 ms');
    expect(broker.calls()).toBeGreaterThan(1);
  });
});

describe('ensureTopics on the real broker', () => {
  const client = createKafkaClient({ brokers: testEnv().kafkaBrokers, clientId: uniqueName('topics'), logger: silentLogger });
  const names = [uniqueName('topics_a'), uniqueName('topics_b')];
  afterAll(() => deleteTopics(client, names));

  test('given new topics, then it creates them, every partition led on return; asked again, it creates none', async () => {
    expect(await ensureTopics(client, [{ name: names[0]!, partitions: 3 }, { name: names[1]!, partitions: 1 }])).toEqual(names);
    const admin = client.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      expect(topics.map((t) => [t.name, t.partitions.filter((p) => p.leader >= 0).length]).sort()).toEqual([[names[0], 3], [names[1], 1]].sort());
    } finally {
      await admin.disconnect();
    }
    expect(await ensureTopics(client, [{ name: names[0]!, partitions: 3 }])).toEqual([]);
  });
});
