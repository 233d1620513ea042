/**
 * A new build of the service worker, made by changing one precache revision of the built
 * `service-worker.js` in place: the server (adapter-node's static handler) read each file's size at
 * start and keeps answering with it, so the new script and its precompressed copies (.br, .gz) must
 * keep their lengths.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, constants, createBrotliCompress, gunzipSync, gzipSync } from 'node:zlib';

export interface ServiceWorkerFiles {
	js: Buffer;
	br: Buffer;
	gz: Buffer;
}

export function readServiceWorker(clientDir: string): ServiceWorkerFiles {
	return {
		js: readFileSync(join(clientDir, 'service-worker.js')),
		br: readFileSync(join(clientDir, 'service-worker.js.br')),
		gz: readFileSync(join(clientDir, 'service-worker.js.gz'))
	};
}

export function writeServiceWorker(clientDir: string, files: ServiceWorkerFiles): void {
	writeFileSync(join(clientDir, 'service-worker.js'), files.js);
	writeFileSync(join(clientDir, 'service-worker.js.br'), files.br);
	writeFileSync(join(clientDir, 'service-worker.js.gz'), files.gz);
}

/** gzip of `data` exactly `length` bytes long, padded with a header comment (FCOMMENT), or null. */
function gzipOfLength(data: Buffer, length: number): Buffer | null {
	for (const level of [9, 8, 7, 6]) {
		const gz = gzipSync(data, { level, memLevel: 9 });
		const pad = length - gz.length;
		if (pad < 1) continue;
		const header = Buffer.from(gz.subarray(0, 10));
		header[3] = header[3]! | 0x10;
		const out = Buffer.concat([header, Buffer.alloc(pad - 1, 0x61), Buffer.from([0]), gz.subarray(10)]);
		if (gunzipSync(out).equals(data)) return out;
	}
	return null;
}

/**
 * Brotli of `data` exactly `length` bytes long, or null: the data flushed to a byte boundary, then
 * empty metadata blocks (one byte each) as padding, then the empty last block.
 */
async function brotliOfLength(data: Buffer, length: number): Promise<Buffer | null> {
	// The build's own brotli may be a few bytes smaller than a flushed stream at the same settings:
	// try the window sizes and modes brotli offers, and keep the first that leaves room to pad.
	for (const mode of [constants.BROTLI_MODE_TEXT, constants.BROTLI_MODE_GENERIC])
		for (const lgwin of [24, 22, 20, 18, 16]) {
			const flushed = await flushedBrotli(data, {
				[constants.BROTLI_PARAM_QUALITY]: 11,
				[constants.BROTLI_PARAM_LGWIN]: lgwin,
				[constants.BROTLI_PARAM_MODE]: mode,
				[constants.BROTLI_PARAM_SIZE_HINT]: data.length
			});
			const pad = length - flushed.length - 1;
			if (pad < 0) continue;
			const out = Buffer.concat([flushed, Buffer.alloc(pad, 0x06), Buffer.from([0x03])]);
			if (brotliDecompressSync(out).equals(data)) return out;
		}
	return null;
}

/** `data` compressed and flushed to a byte boundary, without the last (empty) block. */
function flushedBrotli(data: Buffer, params: Record<number, number>): Promise<Buffer> {
	return new Promise<Buffer>((resolve, reject) => {
		const chunks: Buffer[] = [];
		const c = createBrotliCompress({ params });
		c.on('data', (d: Buffer) => chunks.push(d));
		c.on('error', reject);
		c.write(data);
		c.flush(constants.BROTLI_OPERATION_FLUSH, () => {
			resolve(Buffer.concat(chunks));
			c.destroy();
		});
	});
}

/**
 * The same service worker with one precache revision changed, every file its old length. The
 * revision's hex digits all become one digit: the script compresses a little better than the
 * build's, which leaves room to pad both compressed copies to their old lengths.
 */
export async function changedServiceWorker(original: ServiceWorkerFiles): Promise<ServiceWorkerFiles> {
	const text = original.js.toString('latin1');
	for (const m of text.matchAll(/"revision":"([0-9a-f]{8,})"/g)) {
		const at = m.index + '"revision":"'.length;
		const old = m[1]!;
		for (const ch of 'ab') {
			const digits = ch.repeat(old.length);
			if (digits === old) continue;
			const js = Buffer.from(original.js);
			js.write(digits, at, 'latin1');
			const gz = gzipOfLength(js, original.gz.length);
			const br = gz && (await brotliOfLength(js, original.br.length));
			if (gz && br) return { js, br, gz };
		}
	}
	throw new Error('no revision of service-worker.js could be changed with the files keeping their lengths');
}
