import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { testEnv } from '@baton/testing';
import { Redis } from 'ioredis';
import { closeRedis, createRedis } from '../src/redis.js';

/**
 * A peer that answers any command with +OK but closes the socket on QUIT without a reply: the race of
 * redis/ioredis#2025 (the socket closes before QUIT's reply is read), made certain.
 */
async function peerClosingOnQuit() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      if (/quit/i.test(chunk.toString())) socket.destroy();
      else socket.write('+OK\r\n');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const connect = async () => {
    // No handshake commands (ready check, client info), so the peer sees nothing before QUIT.
    const client = new Redis({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, retryStrategy: () => null });
    await once(client, 'ready');
    return client;
  };
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  };
  return { connect, close };
}

describe('closeRedis', () => {
  it('resolves when the socket closes before the reply to QUIT, where quit() itself rejects', async () => {
    const peer = await peerClosingOnQuit();
    try {
      const plain = await peer.connect();
      await expect(plain.quit()).rejects.toThrow('Connection is closed.');

      const client = await peer.connect();
      await expect(closeRedis(client)).resolves.toBeUndefined();
      expect(client.status).toBe('end');
    } finally {
      await peer.close();
    }
  });

  it('returns at once when Redis is down and the client is reconnecting, where a QUIT would wait for ever', async () => {
    const peer = createServer();
    peer.listen(0, '127.0.0.1');
    await once(peer, 'listening');
    const { port } = peer.address() as AddressInfo;
    peer.close();
    await once(peer, 'close');
    // The port is free again: nothing answers there.
    const client = createRedis(`redis://127.0.0.1:${port}`);
    try {
      // Not events.once, which rejects on the client's 'error' event (ECONNREFUSED) that comes first.
      await new Promise((resolve) => client.once('reconnecting', resolve));
      // Without the disconnect, closeRedis would wait for ever and the test time out.
      await closeRedis(client);
      let attempts = 0;
      client.on('connecting', () => (attempts += 1));
      // ioredis retries after 50, 100, 150 ms...: a client still trying would have tried again by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(attempts).toBe(0);
    } finally {
      client.disconnect();
    }
  });

  it('closes a connection to the real Redis after the commands already sent', async () => {
    const redis = createRedis(testEnv().redisUrl, { name: 'close-redis-test' });
    const key = `close-redis-test:${process.pid}:${Date.now()}`;
    const written = redis.set(key, 'v', 'PX', 10_000);
    await closeRedis(redis);
    expect(redis.status).toBe('end');
    await expect(written).resolves.toBe('OK');
  });
});
