/**
 * The tablet's one database and one sync engine for the whole page (kiosk and staff faces share
 * them). The centre is the origin the app was loaded from.
 */
import { HirobaDB } from './db/db';
import { SyncEngine } from './sync/engine';

let db: HirobaDB | null = null;
let engine: SyncEngine | null = null;

export function tabletDb(): HirobaDB {
	db ??= new HirobaDB();
	return db;
}

export function syncEngine(): SyncEngine {
	engine ??= new SyncEngine(tabletDb(), { baseUrl: location.origin });
	return engine;
}
