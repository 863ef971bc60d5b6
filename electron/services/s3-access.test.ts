import { afterEach, describe, expect, it } from 'vitest';
import { connectionKey, createS3Client, describeEndpoint, destroyS3Clients } from './s3-access';

const keys = { accessKeyId: 'AKIATEST', secretAccessKey: 'super-secret-value-123' };

afterEach(() => destroyS3Clients());

describe('createS3Client', () => {
  it('caches one client per connection and keys, and keys the cache without the secret', () => {
    const ref = { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', keys };
    expect(createS3Client(ref)).toBe(createS3Client({ ...ref, keys: { ...keys } }));
    expect(createS3Client(ref)).not.toBe(createS3Client({ ...ref, keys: { ...keys, secretAccessKey: 'other' } }));
    expect(createS3Client(ref)).not.toBe(createS3Client({ ...ref, pathStyle: false }));
    expect(connectionKey(ref)).not.toContain(keys.secretAccessKey);
    expect(connectionKey({ profile: 'a' })).not.toBe(connectionKey({ profile: 'b' }));
  });

  it('uses path style for custom endpoints unless told otherwise, the given region, and few attempts', async () => {
    const custom = createS3Client({ endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', keys });
    expect(custom.config.forcePathStyle).toBe(true);
    expect(await custom.config.region()).toBe('eu-west-1');
    expect(await custom.config.maxAttempts()).toBe(2);
    expect(createS3Client({ endpoint: 'http://127.0.0.1:9000', pathStyle: false, keys }).config.forcePathStyle).toBe(false);
    expect(createS3Client({ region: 'eu-west-1', keys }).config.forcePathStyle).toBe(false);
    const creds = await custom.config.credentials();
    expect(creds.accessKeyId).toBe('AKIATEST');
  });

  it('describes where the store is', () => {
    expect(describeEndpoint({ endpoint: 'http://127.0.0.1:9000' })).toBe('http://127.0.0.1:9000');
    expect(describeEndpoint({ region: 'eu-west-1' })).toBe('AWS S3 (eu-west-1)');
  });
});
