import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { encodeBatch, type Outgoing } from '../../broker/retained-replay.js';

/** The same PUBLISH as mqtt-packet, the encoder Aedes and MQTT.js use, would write it. */
function byMqttPacket(entry: Outgoing): Buffer {
  return mqttPacket.generate({
    cmd: 'publish',
    topic: entry.topic,
    payload: entry.payload,
    qos: entry.qos as 0 | 1,
    retain: true,
    dup: false,
    ...(entry.qos > 0 ? { messageId: entry.messageId } : {}),
  });
}

function outgoing(topic: string, size: number, qos: number, messageId: number): Outgoing {
  const payload = Buffer.alloc(size, 0x61);
  return { topic, topicBytes: Buffer.byteLength(topic), payload, qos, messageId };
}

describe('retained replay encoding', () => {
  it('writes every remaining-length size, both QoS and any UTF-8 topic as mqtt-packet does', () => {
    const sizes = [0, 1, 100, 121, 122, 123, 16_000, 16_378, 16_379, 16_380, 65_536, 2_100_000];
    const topics = ['piminder/status/nas', 'piminder/status/k\u00fcche/t\u00fcr-\ud83d\udeaa'];
    const batch: Outgoing[] = [];
    let id = 65_530;
    for (const size of sizes) {
      for (const topic of topics) {
        for (const qos of [0, 1]) batch.push(outgoing(topic, size, qos, (id++ % 65_535) + 1));
      }
    }

    // Buffer.equals: a deep comparison of megabytes, byte by byte, would take minutes.
    for (const entry of batch) {
      const ours = encodeBatch([entry]);
      const theirs = byMqttPacket(entry);
      expect(ours.subarray(0, 8).toString('hex')).toBe(theirs.subarray(0, 8).toString('hex'));
      expect(ours.equals(theirs)).toBe(true);
    }
    expect(encodeBatch(batch).equals(Buffer.concat(batch.map(byMqttPacket)))).toBe(true);
  });

  it('reads back, packet by packet, with the retain flag set', () => {
    const batch = [outgoing('a/b', 10, 1, 7), outgoing('c', 300, 0, 0), outgoing('d/e', 5, 1, 8)];
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const packets: mqttPacket.IPublishPacket[] = [];
    parser.on('packet', (packet) => packets.push(packet as mqttPacket.IPublishPacket));

    parser.parse(encodeBatch(batch));

    expect(packets.map((p) => [p.topic, p.qos, p.retain, p.messageId, p.payload.length])).toEqual([
      ['a/b', 1, true, 7, 10],
      ['c', 0, true, undefined, 300],
      ['d/e', 1, true, 8, 5],
    ]);
  });
});
