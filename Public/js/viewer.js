// The full-size viewer: a modal dialog with the image, previous/next and a download link.

export class Viewer {
  constructor(dialog) {
    this.dialog = dialog;
    this.image = dialog.querySelector('#viewer-image');
    this.title = dialog.querySelector('#viewer-title');
    this.download = dialog.querySelector('#viewer-download');
    this.prev = dialog.querySelector('#viewer-prev');
    this.next = dialog.querySelector('#viewer-next');
    this.items = [];
    this.index = 0;
    this.name = 'interior';
    this.returnFocus = null;

    dialog.querySelector('#viewer-close').addEventListener('click', () => this.close());
    this.prev.addEventListener('click', () => this.show(this.index - 1));
    this.next.addEventListener('click', () => this.show(this.index + 1));
    dialog.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowLeft') this.show(this.index - 1);
      if (event.key === 'ArrowRight') this.show(this.index + 1);
    });
    // A click on the backdrop (outside the dialog's box) closes it.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) this.close();
    });
    dialog.addEventListener('close', () => {
      this.image.removeAttribute('src');
      this.returnFocus?.focus();
    });
    this.download.addEventListener('click', (event) => this.downloadCrossOrigin(event));
  }

  /**
   * @param {{url: string, width: number, height: number, index: number}[]} variants
   * @param {number} index which to show first
   * @param {string} name the download file name's stem
   */
  open(variants, index, name) {
    this.items = variants;
    this.name = name;
    this.returnFocus = document.activeElement;
    this.show(index);
    if (!this.dialog.open) this.dialog.showModal();
  }

  show(index) {
    if (index < 0 || index >= this.items.length) return;
    this.index = index;
    const variant = this.items[index];
    const count = this.items.length;
    this.title.textContent = count > 1 ? `Variant ${index + 1} of ${count}` : 'Variant';
    this.image.width = variant.width;
    this.image.height = variant.height;
    this.image.alt = `Variant ${index + 1}, full size (${variant.width}×${variant.height})`;
    this.image.src = variant.url;
    this.download.href = variant.url;
    this.download.download = `${this.name}-${index + 1}.webp`;
    this.download.setAttribute('aria-label', `Download variant ${index + 1}`);
    this.prev.disabled = index === 0;
    this.next.disabled = index === count - 1;
    this.prev.hidden = count < 2;
    this.next.hidden = count < 2;
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  /** Browsers ignore `download` on another origin (a CDN, S3): fetch the bytes and save them. */
  async downloadCrossOrigin(event) {
    const url = new URL(this.download.href, location.href);
    if (url.origin === location.origin) return;
    event.preventDefault();
    try {
      const response = await fetch(url, { mode: 'cors' });
      if (!response.ok) throw new Error(String(response.status));
      const blob = await response.blob();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = this.download.download;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch {
      window.open(url.href, '_blank', 'noopener');
    }
  }
}
