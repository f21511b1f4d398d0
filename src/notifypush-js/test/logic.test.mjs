// The protocol decisions of notifypush.js that need no server: backoff, close codes, dedupe, resume point,
// ack limits, socket URLs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AckWindow, Backoff, backoffDelay, closeAction, CloseCodes, ResumePoint, socketUrl } from '../notifypush.js';
import { groupName, tokenUser } from '../notifypush-shared.js';

describe('backoff', () => {
  test('first retry is spread over 0 to firstMs', () => {
    assert.equal(backoffDelay(0, { firstMs: 5000, maxMs: 60000 }, () => 0), 0);
    assert.equal(backoffDelay(0, { firstMs: 5000, maxMs: 60000 }, () => 0.5), 2500);
    assert.equal(backoffDelay(0, { firstMs: 5000, maxMs: 60000 }, () => 0.999999), 4999);
  });

  test('defaults are 5 s for the first retry and 60 s at most', () => {
    const highest = (attempt) => backoffDelay(attempt, undefined, () => 0.999999);
    assert.equal(highest(0), 4999);
    assert.equal(highest(1), 9999);
    assert.equal(highest(3), 39999);
    assert.equal(highest(4), 59999);
    assert.equal(highest(50), 59999);
  });

  test('window doubles per attempt up to the cap, also after very many attempts', () => {
    const top = (attempt) => backoffDelay(attempt, { firstMs: 100, maxMs: 1000 }, () => 0.999999);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(top), [99, 199, 399, 799, 999, 999]);
    assert.equal(top(5000), 999); // 2 ** 5000 is Infinity; min() keeps the cap
  });

  test('random delays stay inside the full-jitter window and use all of it', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(0));
    assert.ok(delays.every((d) => Number.isInteger(d) && d >= 0 && d < 5000));
    assert.ok(Math.min(...delays) < 500, 'full jitter reaches the bottom of the window');
    assert.ok(Math.max(...delays) > 4500, 'full jitter reaches the top of the window');
  });

  test('Backoff counts attempts and starts over on reset', () => {
    const backoff = new Backoff({ firstMs: 10, maxMs: 100 }, () => 0.999999);
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [9, 19, 39]);
    assert.equal(backoff.attempt, 3);
    backoff.reset();
    assert.equal(backoff.attempt, 0);
    assert.equal(backoff.next(), 9);
  });
});

describe('close codes', () => {
  test('sign-out and client faults stop, an expired credential re-authenticates, the rest reconnect', () => {
    for (const code of [4003, 1008, 1009, 4400]) assert.equal(closeAction(code), 'stop', String(code));
    assert.equal(closeAction(4001), 'reauth');
    for (const code of [1000, 1001, 1006, 1011, 1012, 4008, 4999, 3000]) assert.equal(closeAction(code), 'reconnect', String(code));
  });

  test('CloseCodes names the protocol codes', () => {
    assert.equal(CloseCodes.SignedOut, 4003);
    assert.equal(CloseCodes.SlowConsumer, 4008);
    assert.ok(Object.isFrozen(CloseCodes));
  });

  test("CloseCodes has the .NET client's names and codes, no more and no fewer", () => {
    // src/NotifyPush.Client/Subscribing/NotifyPushCloseCodes.cs names them for every client.
    const source = readFileSync(new URL('../../NotifyPush.Client/Subscribing/NotifyPushCloseCodes.cs', import.meta.url), 'utf8');
    const dotnet = Object.fromEntries([...source.matchAll(/public const int (\w+) = (\d+);/g)].map(([, name, code]) => [name, Number(code)]));
    assert.ok(Object.keys(dotnet).length >= 10, 'the .NET close codes were read');
    assert.deepEqual({ ...CloseCodes }, dotnet);
  });
});

describe('resume point', () => {
  test('starts empty, or at the given since', () => {
    assert.equal(new ResumePoint().position, null);
    assert.equal(new ResumePoint(12).position, 12);
    assert.equal(new ResumePoint().isDuplicate(1), false);
    assert.equal(new ResumePoint(12).isDuplicate(12), true);
    assert.equal(new ResumePoint(12).isDuplicate(13), false);
  });

  test('a seq at or below the position is a duplicate, across any number of sockets', () => {
    const resume = new ResumePoint();
    const delivered = [];
    // Socket 1 delivers 1..4; socket 2 resumed from 2 (handlers were behind) and replays 3..6.
    for (const seq of [1, 2, 3, 4, 3, 4, 5, 6]) {
      if (!resume.isDuplicate(seq)) {
        delivered.push(seq);
        resume.advance(seq);
      }
    }
    assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6]);
    assert.equal(resume.position, 6);
  });

  test('synced moves the position forward over removed seqs, and never back on an ordinary socket', () => {
    const resume = new ResumePoint(5);
    resume.synced(9, 5); // retention removed 6..9
    assert.equal(resume.position, 9);
    resume.synced(7, 5); // a lower synced of a socket opened at 5: the position stays
    assert.equal(resume.position, 9);
  });

  test('synced below the since it answers means another stream: its position wins', () => {
    const resume = new ResumePoint(40);
    resume.synced(3, 40);
    assert.equal(resume.position, 3);
    assert.equal(resume.isDuplicate(4), false);
  });

  test('synced sets the first position when there was none', () => {
    const resume = new ResumePoint();
    resume.synced(0, null);
    assert.equal(resume.position, 0);
  });
});

describe('ack window', () => {
  test('never acknowledges beyond what this socket has shown', () => {
    const acks = new AckWindow();
    assert.equal(acks.next(10), null, 'nothing shown yet: the server would refuse any ack with 4400');
    acks.received(4);
    assert.equal(acks.next(10), 4);
    acks.received(12);
    assert.equal(acks.next(10), 10);
  });

  test('sends each cumulative ack once', () => {
    const acks = new AckWindow();
    acks.received(3);
    assert.equal(acks.next(3), 3);
    assert.equal(acks.next(3), null);
    assert.equal(acks.next(2), null);
    assert.equal(acks.next(null), null);
  });
});

describe('socket URL', () => {
  test('adds the token and since to a ws URL', () => {
    const url = new URL(socketUrl('ws://h:1/ws', { token: 'a.b.c', since: 7 }));
    assert.equal(url.protocol, 'ws:');
    assert.equal(url.searchParams.get('access_token'), 'a.b.c');
    assert.equal(url.searchParams.get('since'), '7');
  });

  test('resolves a path against the page and maps http(s) to ws(s)', () => {
    assert.equal(socketUrl('/ws', {}, 'https://app.example/inbox'), 'wss://app.example/ws');
    assert.equal(socketUrl('http://h:5080/ws', { since: 0 }), 'ws://h:5080/ws?since=0');
  });

  test('leaves out a missing token (cookie authentication) and a missing since', () => {
    assert.equal(socketUrl('ws://h/ws', { token: null, since: null }), 'ws://h/ws');
  });
});

describe('shared mode groups', () => {
  /** @param {object} claims */
  const jwt = (claims) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.signature`;

  test("a token's user is its sub claim, read without the signature", () => {
    assert.equal(tokenUser(jwt({ sub: 'alice', exp: 1 })), 'alice');
    assert.equal(tokenUser(jwt({ sub: 'zoë/ü?>>' })), 'zoë/ü?>>', 'base64url and UTF-8');
  });

  test('a token without a string sub, or not a JWT, names nobody', () => {
    for (const token of [jwt({}), jwt({ sub: 42 }), jwt({ sub: '' }), 'opaque-token', 'a.%%%.c', '', null, undefined]) {
      assert.equal(tokenUser(token), null, String(token));
    }
  });

  test('two users never get the same group name, whatever their ids hold', () => {
    assert.notEqual(groupName('notifypush', 'a:user:b'), groupName('notifypush:user:a', 'b'));
    assert.notEqual(groupName('notifypush', 'alice'), groupName('notifypush', 'bob'));
    assert.equal(groupName('notifypush', 'alice'), groupName('notifypush', 'alice'));
  });
});
