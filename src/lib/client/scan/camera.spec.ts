import { describe, expect, it } from 'vitest';
import {
	CAMERA_STORAGE_KEY,
	CameraController,
	MAX_GRABS_PER_SECOND,
	CameraError,
	cameraConstraints,
	decodeSize,
	readFacing,
	saveFacing,
	toCameraError
} from './camera';

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> & { map: Map<string, string> } {
	const map = new Map<string, string>();
	return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

describe('camera errors', () => {
	it('maps getUserMedia failures to Japanese messages by kind', () => {
		const named = (name: string) => Object.assign(new Error(name), { name });
		expect(toCameraError(named('NotAllowedError')).code).toBe('denied');
		expect(toCameraError(named('NotFoundError')).code).toBe('no-camera');
		expect(toCameraError(named('OverconstrainedError')).code).toBe('no-camera');
		expect(toCameraError(named('NotReadableError')).code).toBe('in-use');
		expect(toCameraError(new Error('?')).code).toBe('failed');
		expect(toCameraError(named('NotAllowedError')).message).toMatch(/許可/);
	});

	it('says so when there is no camera API (not a secure context)', async () => {
		const video = {} as HTMLVideoElement;
		const camera = new CameraController(video, { onCodes: () => {}, storage: null, mediaDevices: {} as MediaDevices });
		await expect(camera.start()).rejects.toBeInstanceOf(CameraError);
	});
});

describe('camera choice', () => {
	it('defaults to the back camera and remembers a switch', () => {
		const storage = memoryStorage();
		expect(readFacing(storage)).toBe('environment');
		saveFacing('user', storage);
		expect(storage.map.get(CAMERA_STORAGE_KEY)).toBe('user');
		expect(readFacing(storage)).toBe('user');
		storage.map.set(CAMERA_STORAGE_KEY, 'garbage');
		expect(readFacing(storage)).toBe('environment');
	});

	it('asks for the facing mode and size as ideals, so a one-camera tablet still opens', () => {
		const video = cameraConstraints('user').video as MediaTrackConstraints;
		expect(video.facingMode).toEqual({ ideal: 'user' });
		expect(video.width).toEqual({ ideal: 1280 });
		expect(video.height).toEqual({ ideal: 720 });
	});

	it('asks for 15 frames a second, no more than the decoder can take', () => {
		const video = cameraConstraints('environment').video as MediaTrackConstraints;
		expect(video.frameRate).toEqual({ ideal: 15 });
		expect(MAX_GRABS_PER_SECOND).toBeLessThanOrEqual(15);
	});

	it('scales wide frames down to the decode width', () => {
		expect(decodeSize(1280, 720, 1280)).toEqual({ width: 1280, height: 720 });
		expect(decodeSize(1920, 1080, 1280)).toEqual({ width: 1280, height: 720 });
		expect(decodeSize(640, 480, 1280)).toEqual({ width: 640, height: 480 });
	});
});
