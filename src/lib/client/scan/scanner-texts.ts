/**
 * Everything the scanner says on screen. Japanese is the default (the staff face's enrollment uses
 * the scanner too, in Japanese); the kiosk passes its family's language (client/i18n/kiosk*.ts
 * `scanner`). A text may carry furigana (漢字《かんじ》, for やさしいにほんご): the scanner prints it
 * through <Say>.
 */
import { CAMERA_ERROR_MESSAGES, type CameraErrorCode, type Facing } from './camera';

export interface ScannerTexts {
	/** Under the frame guide. */
	hint: string;
	starting: string;
	switching: string;
	/** The status line when the camera cannot be used (the reason is said in the alert below it). */
	cameraUnavailable: string;
	paused: string;
	/** The status line when the QR decoder is not working but a barcode scanner still is. */
	scannerOnly: string;
	/** The status line while reading, naming the camera in use. */
	reading: (camera: string) => string;
	camera: Record<Facing, string>;
	switchCamera: string;
	retry: string;
	decoderStopped: string;
	decoderFailed: string;
	cameraErrors: Record<CameraErrorCode, string>;
}

/** The Japanese texts but the hint (the kiosk's Japanese texts hold its hint as `scanHint`). */
export const SCANNER_STATUS_JA: Omit<ScannerTexts, 'hint'> = {
	starting: 'カメラを起動しています…',
	switching: 'カメラを切り替えています…',
	cameraUnavailable: 'カメラは使えません。バーコードリーダーは使えます。',
	paused: '一時停止中',
	scannerOnly: 'バーコードリーダーは使えます。',
	reading: (camera) => `読み取り中（${camera}）`,
	camera: { environment: '背面カメラ', user: '前面カメラ' },
	switchCamera: 'カメラ切替',
	retry: 'もう一度試す',
	decoderStopped: 'QRコードの読み取りが止まりました。画面を読み込み直してください。',
	decoderFailed: 'QRコードの読み取り機能を読み込めませんでした。バーコードリーダーかコード入力で受付してください。',
	cameraErrors: CAMERA_ERROR_MESSAGES
};

export const SCANNER_TEXTS_JA: ScannerTexts = { hint: 'カードのQRコードを枠に合わせてください', ...SCANNER_STATUS_JA };
