// A Worker with nodejs_compat on that loads esmtp (the Node entry, bundled into one module by the
// test) and asks SmtpServer to listen: workerd's node:net servers accept nothing, and listen()
// must say so. The response is the outcome as JSON.
import { SmtpServer } from 'esmtp';

export default {
  async fetch() {
    try {
      const address = await new SmtpServer().listen({ host: '127.0.0.1', port: 0 });
      return Response.json({ listening: address });
    } catch (error) {
      return Response.json({ name: error.name, code: error.code, message: error.message });
    }
  },
};
