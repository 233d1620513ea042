/**
 * Everything an IndexedDB database holds, read with the raw IndexedDB API, not through Dexie: what
 * someone with a copy of the tablet's storage would see. Strings as they are; bytes (ArrayBuffers,
 * typed arrays) decoded both as UTF-8 and as UTF-16, so text stored in clear inside a binary value
 * is found too.
 */
import type { IDBFactory } from 'fake-indexeddb';

function text(value: unknown, out: string[]): void {
	if (typeof value === 'string') out.push(value);
	else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
		const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
		out.push(new TextDecoder('utf-8').decode(bytes), new TextDecoder('utf-16le').decode(bytes.subarray(0, bytes.length - (bytes.length % 2))));
	} else if (Array.isArray(value)) for (const v of value) text(v, out);
	else if (value && typeof value === 'object' && !(value instanceof CryptoKey)) for (const [k, v] of Object.entries(value)) text([k, v], out);
	else if (value !== null && value !== undefined) out.push(String(value));
}

export async function rawIndexedDbText(factory: IDBFactory, name: string): Promise<string> {
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const req = factory.open(name);
		req.onsuccess = () => resolve(req.result as unknown as IDBDatabase);
		req.onerror = () => reject(req.error);
	});
	try {
		const out: string[] = [];
		for (const store of Array.from(db.objectStoreNames)) {
			const values = await new Promise<unknown[]>((resolve, reject) => {
				const req = db.transaction(store, 'readonly').objectStore(store).getAll();
				req.onsuccess = () => resolve(req.result);
				req.onerror = () => reject(req.error);
			});
			text(values, out);
		}
		return out.join('\n');
	} finally {
		db.close();
	}
}
