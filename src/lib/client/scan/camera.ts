/**
 * The kiosk's camera: opens it (back camera first, the choice remembered on this tablet), shows it
 * in a <video>, and feeds its frames to a FrameDecoder — one frame at a time, the next one taken
 * only when the decoder is free, so a slow tablet decodes fewer frames rather than falling behind.
 *
 * The whole frame is decoded, not just the guide square: bench/decode.bench.js measured that
 * cropping to the central 720×720 saves about 1.7 ms a frame (2.1 against 3.8 ms) but loses every
 * card held near the edge of the picture, which parents do; the whole frame is within budget.
 * Frames wider than 1280 px (a camera that ignores the "ideal" size) are scaled down to it, which
 * keeps decode time within budget while a card still spans well over 100 px.
 */
import { decodeSize, MAX_DECODE_WIDTH, type FrameDecoder } from './decoder';

export { decodeSize };

/** At most this many frames a second are taken from the camera for decoding. */
export const MAX_GRABS_PER_SECOND = 15;

export type Facing = 'environment' | 'user';
export const CAMERA_STORAGE_KEY = 'hiroba.camera';

export type CameraErrorCode = 'denied' | 'no-camera' | 'in-use' | 'insecure' | 'disconnected' | 'failed';

/** What the kiosk says, in Japanese, and what a parent or staff member can do about it. */
export const CAMERA_ERROR_MESSAGES: Record<CameraErrorCode, string> = {
	denied: 'カメラの使用が許可されていません。ブラウザの設定でこのサイトのカメラを「許可」にしてください。バーコードリーダーやコード入力でも受付できます。',
	'no-camera': 'カメラが見つかりません。バーコードリーダーやコード入力で受付してください。',
	'in-use': 'カメラを起動できません。ほかのアプリがカメラを使っていないか確かめて、もう一度お試しください。',
	insecure: 'この接続ではカメラを使えません（https で開く必要があります）。スタッフに連絡してください。',
	disconnected: 'カメラが切断されました。もう一度お試しください。',
	failed: 'カメラを起動できませんでした。もう一度お試しください。'
};

export class CameraError extends Error {
	override name = 'CameraError';
	constructor(
		readonly code: CameraErrorCode,
		options?: { cause?: unknown }
	) {
		super(CAMERA_ERROR_MESSAGES[code], options);
	}
}

/** getUserMedia's DOMException names (and older Chrome's) mapped to what we tell people. */
export function toCameraError(e: unknown): CameraError {
	if (e instanceof CameraError) return e;
	const name = e && typeof e === 'object' && 'name' in e ? String(e.name) : '';
	switch (name) {
		case 'NotAllowedError':
		case 'PermissionDeniedError':
		case 'SecurityError':
			return new CameraError('denied', { cause: e });
		case 'NotFoundError':
		case 'DevicesNotFoundError':
		case 'OverconstrainedError':
			return new CameraError('no-camera', { cause: e });
		case 'NotReadableError':
		case 'TrackStartError':
		case 'AbortError':
			return new CameraError('in-use', { cause: e });
		default:
			return new CameraError('failed', { cause: e });
	}
}

type SmallStorage = Pick<Storage, 'getItem' | 'setItem'>;

function defaultStorage(): SmallStorage | null {
	try {
		return globalThis.localStorage ?? null;
	} catch {
		return null; // storage blocked: the choice is simply not remembered
	}
}

export function readFacing(storage: SmallStorage | null = defaultStorage()): Facing {
	try {
		return storage?.getItem(CAMERA_STORAGE_KEY) === 'user' ? 'user' : 'environment';
	} catch {
		return 'environment';
	}
}

export function saveFacing(facing: Facing, storage: SmallStorage | null = defaultStorage()): void {
	try {
		storage?.setItem(CAMERA_STORAGE_KEY, facing);
	} catch {
		// A full or blocked storage only means the choice is not remembered.
	}
}

/**
 * The frame rate asked of the camera: 15 a second. The decoder takes at most MAX_GRABS_PER_SECOND
 * frames (in practice 3–5 a second on a tablet), so 30 only doubles the frames the tablet captures
 * and draws into the preview. bench/kiosk.bench.js, three runs each way on 2 shared cores, 15
 * against 30: check-in p50 on the tablet stand-in (4× CPU throttling, camera running) 157–201
 * against 186–208 ms, unthrottled 41–51 against 53–55 ms; offline cold start 2.8–3.0 against
 * 3.0–3.2 s. A preview at 15 frames a second is smooth enough to aim a card.
 */
export const CAMERA_FRAME_RATE = 15;

/** `ideal`, never `exact`: a tablet with one camera still opens it whichever way it faces. */
export function cameraConstraints(facing: Facing): MediaStreamConstraints {
	return {
		audio: false,
		video: { facingMode: { ideal: facing }, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: CAMERA_FRAME_RATE } }
	};
}

export interface CameraControllerOptions {
	/** Texts read from a frame (not de-duplicated: a card in view is read on every frame). */
	onCodes: (texts: string[]) => void;
	/** Errors after start() returned: the camera unplugged, or the decoder's worker died. */
	onError?: (error: Error) => void;
	storage?: SmallStorage | null;
	mediaDevices?: Pick<MediaDevices, 'getUserMedia'>;
	maxFrameWidth?: number;
}

interface VideoFrameCallbacks {
	requestVideoFrameCallback(callback: () => void): number;
	cancelVideoFrameCallback(handle: number): void;
}

export class CameraController {
	/** The camera asked for (and remembered); `mirrored` says whether it faces the user. */
	facing: Facing;
	#stream: MediaStream | null = null;
	#decoder: FrameDecoder | null = null;
	#paused = false;
	#grabbing = false;
	#lastGrab = -Infinity;
	#frameHandle: { kind: 'video' | 'animation'; id: number } | null = null;
	// Bumped by every start and stop, so a getUserMedia that resolves late is thrown away.
	#generation = 0;
	readonly #opts: CameraControllerOptions;
	readonly #storage: SmallStorage | null;

	constructor(
		readonly video: HTMLVideoElement,
		opts: CameraControllerOptions
	) {
		this.#opts = opts;
		this.#storage = opts.storage === undefined ? defaultStorage() : opts.storage;
		this.facing = readFacing(this.#storage);
	}

	get active(): boolean {
		return this.#stream !== null;
	}

	/** Whether the preview shows the user's side (then it is mirrored, like a mirror). */
	get mirrored(): boolean {
		const actual = this.#stream?.getVideoTracks()[0]?.getSettings().facingMode;
		return (actual ?? this.facing) === 'user';
	}

	setDecoder(decoder: FrameDecoder | null): void {
		this.#decoder = decoder;
	}

	/** While paused the preview keeps running (so resuming is instant) but no frame is decoded. */
	set paused(value: boolean) {
		this.#paused = value;
	}
	get paused(): boolean {
		return this.#paused;
	}

	async start(facing: Facing = this.facing): Promise<void> {
		this.#stopStream();
		const generation = ++this.#generation;
		const mediaDevices = this.#opts.mediaDevices ?? globalThis.navigator?.mediaDevices;
		if (!mediaDevices?.getUserMedia) throw new CameraError(globalThis.isSecureContext === false ? 'insecure' : 'no-camera');
		let stream: MediaStream;
		try {
			stream = await mediaDevices.getUserMedia(cameraConstraints(facing));
		} catch (e) {
			throw toCameraError(e);
		}
		if (generation !== this.#generation) {
			for (const track of stream.getTracks()) track.stop();
			return;
		}
		this.#stream = stream;
		this.facing = facing;
		for (const track of stream.getVideoTracks()) {
			track.addEventListener('ended', () => {
				if (this.#stream !== stream) return;
				this.#stopStream();
				this.#opts.onError?.(new CameraError('disconnected'));
			});
		}
		const video = this.video;
		video.muted = true;
		video.playsInline = true;
		video.srcObject = stream;
		try {
			await video.play();
		} catch (e) {
			// play() is aborted when stop() or a switch replaced the stream meanwhile: not an error.
			if (generation !== this.#generation) return;
			this.#stopStream();
			throw toCameraError(e);
		}
		this.#schedule();
	}

	/** Open the other camera and remember the choice on this tablet. */
	async switchCamera(): Promise<Facing> {
		const previous = this.facing;
		const next: Facing = previous === 'environment' ? 'user' : 'environment';
		try {
			await this.start(next);
		} catch (e) {
			await this.start(previous).catch(() => undefined);
			throw e;
		}
		saveFacing(next, this.#storage);
		return next;
	}

	stop(): void {
		this.#generation++;
		this.#stopStream();
	}

	#stopStream(): void {
		this.#cancelFrame();
		if (this.#stream) for (const track of this.#stream.getTracks()) track.stop();
		this.#stream = null;
		this.video.srcObject = null;
	}

	#schedule(): void {
		if (!this.#stream || this.#frameHandle) return;
		const video = this.video as HTMLVideoElement & Partial<VideoFrameCallbacks>;
		// requestVideoFrameCallback fires once per new camera frame; requestAnimationFrame (older
		// Safari, Firefox) fires per display frame, so the same frame may be offered twice.
		if (typeof video.requestVideoFrameCallback === 'function') {
			this.#frameHandle = { kind: 'video', id: video.requestVideoFrameCallback(() => this.#onFrame()) };
		} else {
			this.#frameHandle = { kind: 'animation', id: requestAnimationFrame(() => this.#onFrame()) };
		}
	}

	#cancelFrame(): void {
		const handle = this.#frameHandle;
		this.#frameHandle = null;
		if (!handle) return;
		if (handle.kind === 'video') (this.video as HTMLVideoElement & Partial<VideoFrameCallbacks>).cancelVideoFrameCallback?.(handle.id);
		else cancelAnimationFrame(handle.id);
	}

	#onFrame(): void {
		this.#frameHandle = null;
		if (!this.#stream) return;
		this.#schedule();
		const decoder = this.#decoder;
		const video = this.video;
		if (this.#paused || !decoder || decoder.busy || this.#grabbing) return;
		// A card is in view for a second or more: 15 looks a second find it, and leave the tablet's
		// cores to the page and the decoder.
		if (performance.now() - this.#lastGrab < 1000 / MAX_GRABS_PER_SECOND) return;
		if (video.readyState < video.HAVE_CURRENT_DATA || video.videoWidth === 0) return;
		void this.#grab(decoder, video);
	}

	async #grab(decoder: FrameDecoder, video: HTMLVideoElement): Promise<void> {
		this.#grabbing = true;
		this.#lastGrab = performance.now();
		const stream = this.#stream;
		let frame: ImageBitmap | VideoFrame;
		try {
			if (typeof VideoFrame === 'function') {
				// WebCodecs: a VideoFrame wraps the camera's buffer without reading its pixels (about
				// 0 ms on the main thread, where createImageBitmap costs 4–5 ms, 20 ms on a 4× slower
				// tablet). It moves to the worker, which scales and reads it there.
				frame = new VideoFrame(video, { timestamp: Math.round(video.currentTime * 1e6) });
			} else {
				const size = decodeSize(video.videoWidth, video.videoHeight, this.#opts.maxFrameWidth ?? MAX_DECODE_WIDTH);
				frame =
					size.width === video.videoWidth
						? await createImageBitmap(video)
						: await createImageBitmap(video, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'low' });
			}
		} catch {
			return; // the video had no frame after all (it was just stopped or switched)
		} finally {
			this.#grabbing = false;
		}
		if (this.#stream !== stream || this.#paused) {
			frame.close();
			return;
		}
		try {
			const texts = await decoder.decode(frame);
			if (texts.length > 0 && this.#stream === stream && !this.#paused) this.#opts.onCodes(texts);
		} catch (e) {
			this.#opts.onError?.(e instanceof Error ? e : new Error(String(e)));
		}
	}
}
