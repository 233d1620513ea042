/**
 * Node's `events` module for the browser, enough for pouchdb-browser (which imports `events` and
 * leaves it to the bundler; the `events` package is not installed here). PouchDB copies the
 * prototype's methods with Object.keys, so they are assigned, not declared in a class.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
type Listener = (...args: any[]) => void;

interface EventEmitter {
	_events: Map<string | symbol, Listener[]>;
	_maxListeners: number;
	[key: string]: any;
}

function EventEmitter(this: EventEmitter) {
	this._events = new Map();
	this._maxListeners = 10;
}

function add(ee: EventEmitter, type: string | symbol, fn: Listener, prepend: boolean): EventEmitter {
	if (!ee._events) EventEmitter.call(ee);
	if (ee._events.has('newListener')) ee.emit('newListener', type, (fn as any).listener ?? fn);
	const list = ee._events.get(type) ?? [];
	if (prepend) list.unshift(fn);
	else list.push(fn);
	ee._events.set(type, list);
	return ee;
}

function wrapOnce(ee: EventEmitter, type: string | symbol, fn: Listener): Listener {
	const wrapped: Listener & { listener?: Listener } = (...args) => {
		ee.removeListener(type, wrapped);
		fn.apply(ee, args);
	};
	wrapped.listener = fn;
	return wrapped;
}

const proto: Record<string, any> = {
	on(this: EventEmitter, type: string | symbol, fn: Listener) {
		return add(this, type, fn, false);
	},
	addListener(this: EventEmitter, type: string | symbol, fn: Listener) {
		return add(this, type, fn, false);
	},
	prependListener(this: EventEmitter, type: string | symbol, fn: Listener) {
		return add(this, type, fn, true);
	},
	once(this: EventEmitter, type: string | symbol, fn: Listener) {
		return add(this, type, wrapOnce(this, type, fn), false);
	},
	prependOnceListener(this: EventEmitter, type: string | symbol, fn: Listener) {
		return add(this, type, wrapOnce(this, type, fn), true);
	},
	removeListener(this: EventEmitter, type: string | symbol, fn: Listener) {
		const list = this._events?.get(type);
		if (!list) return this;
		const i = list.findIndex((l) => l === fn || (l as any).listener === fn);
		if (i >= 0) {
			list.splice(i, 1);
			if (list.length === 0) this._events.delete(type);
			if (this._events.has('removeListener')) this.emit('removeListener', type, fn);
		}
		return this;
	},
	off(this: EventEmitter, type: string | symbol, fn: Listener) {
		return this.removeListener(type, fn);
	},
	removeAllListeners(this: EventEmitter, type?: string | symbol) {
		if (!this._events) return this;
		if (type === undefined) this._events.clear();
		else this._events.delete(type);
		return this;
	},
	emit(this: EventEmitter, type: string | symbol, ...args: any[]) {
		const list = this._events?.get(type);
		if (!list || list.length === 0) {
			if (type === 'error') throw args[0] instanceof Error ? args[0] : new Error(`unhandled error event: ${String(args[0])}`);
			return false;
		}
		for (const fn of [...list]) fn.apply(this, args);
		return true;
	},
	listeners(this: EventEmitter, type: string | symbol) {
		return (this._events?.get(type) ?? []).map((l) => (l as any).listener ?? l);
	},
	rawListeners(this: EventEmitter, type: string | symbol) {
		return [...(this._events?.get(type) ?? [])];
	},
	listenerCount(this: EventEmitter, type: string | symbol) {
		return this._events?.get(type)?.length ?? 0;
	},
	eventNames(this: EventEmitter) {
		return [...(this._events?.keys() ?? [])];
	},
	setMaxListeners(this: EventEmitter, n: number) {
		this._maxListeners = n;
		return this;
	},
	getMaxListeners(this: EventEmitter) {
		return this._maxListeners;
	}
};
Object.assign(EventEmitter.prototype, proto);

const EE = EventEmitter as any;
EE.EventEmitter = EE;
EE.defaultMaxListeners = 10;
EE.listenerCount = (ee: EventEmitter, type: string | symbol) => ee.listenerCount(type);

export default EE;
export { EE as EventEmitter };
